import { describe, expect, it } from 'vitest';
import {
  dayBound,
  duplicateForm,
  emptyProduct,
  fieldOf,
  said,
  fromUnix,
  productBody,
  productForm,
  receivedBy,
  toUnix,
  type HoDevice,
  type HoProduct,
} from './manage';
import { enrollmentText, parseEnrollment } from './sync';

describe('head office errors find their field', () => {
  it('reads the field of each kind of error', () => {
    expect(
      fieldOf({ code: 'invalid_field', message: 'invalid_field: end_sale_at: must be after start_sale_at' }),
    ).toBe('end_sale_at');
    expect(fieldOf({ code: 'invalid_price', message: 'invalid_price: price "x" is not ...' })).toBe('price');
    expect(fieldOf({ code: 'conflict', message: 'conflict: slug "gala" is taken' })).toBe('slug');
    expect(fieldOf({ code: 'not_found', message: 'not_found: event x not found' })).toBeNull();
    const typed = {
      code: 'invalid_request',
      message:
        'head office answered 400: invalid_request: invalid JSON body: Failed to deserialize the JSON body into the target type: stock: invalid type: string "ten", expected i64',
    };
    expect(fieldOf(typed)).toBe('stock');
    expect(
      said({ code: 'invalid_field', message: 'head office answered 400: invalid_field: end_sale_at: must be after start_sale_at' }),
    ).toBe('end_sale_at: must be after start_sale_at');
  });
});

describe('local date-times', () => {
  it('round-trips a datetime-local value', () => {
    const t = toUnix('2027-03-04T19:30');
    expect(t).not.toBeNull();
    expect(fromUnix(t)).toBe('2027-03-04T19:30');
    expect(toUnix('')).toBeNull();
    expect(toUnix('not a date')).toBeNull();
  });

  it('bounds a day: its start, and the start of the next for an end', () => {
    const a = dayBound('2027-03-04')!;
    const b = dayBound('2027-03-04', true)!;
    expect(b - a).toBeGreaterThanOrEqual(23 * 3600);
    expect(b - a).toBeLessThanOrEqual(25 * 3600);
    expect(dayBound('4 March')).toBeNull();
  });
});

describe('the product form', () => {
  it('sends typed numbers, null for empty, and text head office will name', () => {
    const f = {
      ...emptyProduct(),
      name: ' Gala ',
      prices: 'eur 25.00\nUSD 30',
      stock: '100',
      max_per_account: 'ten',
      tags: 'vip, , gala',
    };
    const b = productBody(f);
    expect(b.name).toBe('Gala');
    expect(b.prices).toEqual([
      { currency: 'EUR', amount: '25.00' },
      { currency: 'USD', amount: '30' },
    ]);
    expect(b.stock).toBe(100);
    expect(b.max_per_account).toBe('ten');
    expect(b.slug).toBeNull();
    expect(b.tags).toEqual(['vip', 'gala']);
  });

  it('duplicates without the slug, as a copy', () => {
    const p = {
      ...({} as HoProduct),
      id: 'p1',
      name: 'Gala',
      type: 'admission',
      description: null,
      event_id: null,
      prices: [{ currency: 'EUR', amount: '25.00' }],
      stock: 10,
      max_per_account: null,
      redemption_quantity: 1,
      max_items: null,
      min_rep_balance: 0,
      slug: 'gala',
      tags: [],
      start_sale_at: null,
      end_sale_at: null,
      metadata_uri: null,
      chain: null,
    } as HoProduct;
    const d = duplicateForm(p);
    expect(d.name).toBe('Gala (copy)');
    expect(d.slug).toBe('');
    expect(productForm(p).prices).toBe('EUR 25.00');
  });
});

describe('who has received a change', () => {
  const dev = (id: string, pull: number | null, revoked = false): HoDevice => ({
    device_id: id,
    name: id,
    revoked,
    last_push_at: null,
    last_pull_at: pull,
    last_pull_cursor: null,
    applied: 0,
    duplicate: 0,
    conflict: 0,
    rejected: 0,
    pending_ops: null,
    app_version: null,
  });
  it('counts live devices that pulled since the change', () => {
    expect(receivedBy([dev('a', 100), dev('b', 99), dev('c', null), dev('d', 200, true)], 100)).toEqual({
      done: 1,
      of: 3,
    });
  });
});

describe('enrollment codes as text', () => {
  it('round-trips and refuses anything else', () => {
    const t = enrollmentText('http://10.0.0.5:8080', 'abc-123');
    expect(parseEnrollment(t)).toEqual({ url: 'http://10.0.0.5:8080', code: 'abc-123' });
    expect(parseEnrollment('WK1 something')).toBeNull();
    expect(parseEnrollment('WKENROLL1 ftp://x code')).toBeNull();
  });
});
