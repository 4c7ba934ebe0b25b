import { describe, expect, it } from 'vitest';
import { cmpDec, formatMoney, mulQty, parseDec, permille, sumDec } from './money';

describe('money', () => {
  it('parses decimal strings exactly', () => {
    expect(parseDec('49.00')).toEqual({ units: 4900n, scale: 2 });
    expect(parseDec('-3.5')).toEqual({ units: -35n, scale: 1 });
    expect(() => parseDec('1e3')).toThrow();
    expect(() => parseDec('')).toThrow();
  });

  it('multiplies and sums without float error', () => {
    expect(mulQty('89.50', 3)).toBe('268.50');
    expect(mulQty('0.1', 3)).toBe('0.30');
    expect(sumDec(['0.1', '0.2'])).toBe('0.30');
    expect(sumDec(['49.00', '42.875'])).toBe('91.875');
    expect(sumDec([])).toBe('0.00');
    expect(() => mulQty('1.00', 1.5)).toThrow();
  });

  it('formats with symbol and grouping', () => {
    expect(formatMoney('1234567.5', 'EUR')).toBe('€1,234,567.50');
    expect(formatMoney('49', 'USD')).toBe('$49.00');
    expect(formatMoney('-6.13', 'EUR')).toBe('-€6.13');
    expect(formatMoney('10.00', 'CHF')).toBe('10.00 CHF');
  });

  it('compares and scales for charts', () => {
    expect(cmpDec('10.0', '9.99')).toBe(1);
    expect(cmpDec('1.50', '1.5')).toBe(0);
    expect(permille('49.00', '98.00')).toBe(500);
    expect(permille('1', '0')).toBe(0);
  });
});
