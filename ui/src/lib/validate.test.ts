import { describe, expect, it } from 'vitest';
import {
  cleanScan,
  isAmount,
  isEmail,
  isValidPin,
  parseItemNumbers,
  parseQuantity,
  parseRecipients,
} from './validate';

describe('validation', () => {
  it('accepts 4-12 digit PINs only', () => {
    expect(isValidPin('1111')).toBe(true);
    expect(isValidPin('123')).toBe(false);
    expect(isValidPin('12a4')).toBe(false);
    expect(isValidPin('1234567890123')).toBe(false);
  });

  it('checks emails', () => {
    expect(isEmail('ada@example.com')).toBe(true);
    expect(isEmail('ada@example')).toBe(false);
    expect(isEmail('a b@example.com')).toBe(false);
  });

  it('checks typed amounts', () => {
    expect(isAmount('100')).toBe(true);
    expect(isAmount(' 12.50 ')).toBe(true);
    expect(isAmount('-1')).toBe(false);
    expect(isAmount('1.234')).toBe(false);
    expect(isAmount('')).toBe(false);
  });

  it('parses refund item numbers', () => {
    expect(parseItemNumbers('3, 5 7')).toEqual([3, 5, 7]);
    expect(parseItemNumbers('')).toEqual([]);
    expect(parseItemNumbers('3, x')).toBeNull();
  });

  it('parses quantities', () => {
    expect(parseQuantity('2')).toEqual({ ok: true, value: 2 });
    expect(parseQuantity('0').ok).toBe(false);
    expect(parseQuantity('1.5').ok).toBe(false);
    expect(parseQuantity('101').ok).toBe(false);
    expect(parseQuantity(' 7 ')).toEqual({ ok: true, value: 7 });
  });

  it('splits pasted recipients and flags bad lines', () => {
    const r = parseRecipients(
      'a@example.com, b@example.com\n0190a0b2-6c2e-7c3d-9a1b-123456789abc;nonsense\n\n',
    );
    expect(r.lines.map((l) => l.kind)).toEqual(['email', 'email', 'user', 'invalid']);
    expect(r.invalid).toBe(1);
    expect(r.tooMany).toBe(false);
  });

  it('caps a batch at 550', () => {
    const text = Array.from({ length: 551 }, (_, i) => `u${i}@example.com`).join('\n');
    expect(parseRecipients(text).tooMany).toBe(true);
  });

  it('cleans wedge scanner text', () => {
    expect(cleanScan(' WKT1ABC\r\n')).toBe('WKT1ABC');
  });
});
