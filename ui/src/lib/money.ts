// Money as decimal strings, computed with BigInt: never floats.

export interface Dec {
  /** The value times 10^scale. */
  units: bigint;
  scale: number;
}

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/** Parse "49.00", "-3.5", "12"; throws on anything else. */
export function parseDec(s: string): Dec {
  const m = DECIMAL.exec(s.trim());
  if (!m) throw new Error(`not a decimal: ${JSON.stringify(s)}`);
  const [, sign, whole, frac = ''] = m;
  const units = BigInt(`${whole}${frac}`);
  return { units: sign ? -units : units, scale: frac.length };
}

function rescale(d: Dec, scale: number): bigint {
  return d.units * 10n ** BigInt(scale - d.scale);
}

export function toStr(d: Dec): string {
  const neg = d.units < 0n;
  const digits = (neg ? -d.units : d.units).toString().padStart(d.scale + 1, '0');
  const whole = digits.slice(0, digits.length - d.scale);
  const frac = d.scale > 0 ? `.${digits.slice(digits.length - d.scale)}` : '';
  return `${neg ? '-' : ''}${whole}${frac}`;
}

/** Sum of decimal strings, at the largest scale among them (at least 2). */
export function sumDec(values: string[]): string {
  const ds = values.map(parseDec);
  const scale = Math.max(2, ...ds.map((d) => d.scale));
  const units = ds.reduce((acc, d) => acc + rescale(d, scale), 0n);
  return toStr({ units, scale });
}

/** price x quantity (quantity a whole number). */
export function mulQty(price: string, quantity: number): string {
  if (!Number.isInteger(quantity)) throw new Error('quantity must be a whole number');
  const d = parseDec(price);
  const scale = Math.max(2, d.scale);
  return toStr({ units: rescale(d, scale) * BigInt(quantity), scale });
}

/** Compare two decimal strings: -1, 0 or 1. */
export function cmpDec(a: string, b: string): number {
  const da = parseDec(a);
  const db = parseDec(b);
  const scale = Math.max(da.scale, db.scale);
  const x = rescale(da, scale);
  const y = rescale(db, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** a / b as a whole permille (0..1000 when 0 <= a <= b), for bar lengths only. */
export function permille(a: string, b: string): number {
  const da = parseDec(a);
  const db = parseDec(b);
  const scale = Math.max(da.scale, db.scale);
  const y = rescale(db, scale);
  if (y === 0n) return 0;
  return Number((rescale(da, scale) * 1000n) / y);
}

const SYMBOLS: Record<string, string> = { EUR: '€', USD: '$', GBP: '£' };

/** "€1,234.50"; two decimals at least, thousands grouped, no rounding through floats. */
export function formatMoney(amount: string, currency: string | null): string {
  const d = parseDec(amount);
  const scale = Math.max(2, d.scale);
  const s = toStr({ units: rescale(d, scale), scale });
  const neg = s.startsWith('-');
  const [whole = '0', frac = ''] = (neg ? s.slice(1) : s).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const body = `${grouped}.${frac}`;
  const cur = currency ?? '';
  const sym = SYMBOLS[cur];
  const text = sym ? `${sym}${body}` : `${body} ${cur}`.trim();
  return neg ? `-${text}` : text;
}
