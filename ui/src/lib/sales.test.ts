import { describe, expect, it } from 'vitest';
import { groupTotals } from './sales';
import type { SalesTotal } from './types';

const row = (p: string, pay: string, total: string, q = 1): SalesTotal => ({
  product_id: p,
  product_name: p,
  currency: 'EUR',
  payment_method: pay,
  orders: 1,
  quantity: q,
  total,
  refunded_items: 0,
  refunded: '0',
  net: total,
});

describe('groupTotals', () => {
  it('sums per product across payment methods exactly', () => {
    const g = groupTotals([row('GA', 'card', '49.10'), row('GA', 'cash', '0.20', 2)], 'product');
    expect(g).toEqual([
      { label: 'GA', currency: 'EUR', quantity: 3, orders: 2, total: '49.30' },
    ]);
  });

  it('sums per payment method across products', () => {
    const g = groupTotals(
      [row('GA', 'card', '49.00'), row('VIP', 'card', '89.50'), row('VIP', 'cash', '89.50')],
      'payment',
    );
    expect(g.map((x) => [x.label, x.total])).toEqual([
      ['card', '138.50'],
      ['cash', '89.50'],
    ]);
  });
});
