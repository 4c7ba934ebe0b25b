// Sales screen figures: totals grouped by product and by payment method, per
// currency, summed as decimal strings.
import { sumDec } from './money';
import type { SalesTotal } from './types';

export interface Group {
  label: string;
  currency: string;
  quantity: number;
  orders: number;
  total: string;
}

export function groupTotals(rows: SalesTotal[], by: 'product' | 'payment'): Group[] {
  const acc = new Map<string, { g: Group; parts: string[] }>();
  for (const r of rows) {
    const label = by === 'product' ? r.product_name : r.payment_method;
    const key = `${label}\u0000${r.currency}`;
    let e = acc.get(key);
    if (!e) {
      e = { g: { label, currency: r.currency, quantity: 0, orders: 0, total: '0' }, parts: [] };
      acc.set(key, e);
    }
    e.g.quantity += r.quantity;
    e.g.orders += r.orders;
    e.parts.push(r.total);
  }
  return [...acc.values()]
    .map(({ g, parts }) => ({ ...g, total: sumDec(parts) }))
    .sort((a, b) => a.label.localeCompare(b.label) || a.currency.localeCompare(b.currency));
}
