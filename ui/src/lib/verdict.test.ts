import { describe, expect, it } from 'vitest';
import type { Verdict } from './types';
import { BEEPS, describeVerdict } from './verdict';

const base: Verdict = {
  code: 'ok',
  admitted: true,
  message: 'admitted (1/1)',
  holder_name: 'Ada Lopez',
  product_name: 'General Admission',
  item: 'x',
  item_id: 7,
  redemption_count: 1,
  redemption_quantity: 1,
  first_redeemed_at: null,
  first_gate: null,
  first_device: null,
  in_replica: true,
};

describe('describeVerdict', () => {
  it('shows an exit, a re-entry and a ticket already inside', () => {
    expect(describeVerdict({ ...base, direction: 'out' }).title).toBe('EXIT');
    const back = describeVerdict({ ...base, reentry: true });
    expect([back.title, back.tone]).toEqual(['BACK IN', 'admitted']);
    const inside = describeVerdict(
      {
        ...base,
        admitted: false,
        code: 'already_inside',
        first_redeemed_at: 1_800_000_000,
        first_gate: 'North',
      },
      'UTC',
    );
    expect(inside.tone).toBe('repeat');
    expect(inside.title).toBe('ALREADY INSIDE');
    expect(inside.reason).toContain('gate North');
    expect(inside.reason).toContain('08:00');
  });

  it('shows a green admit with holder and product', () => {
    const d = describeVerdict(base);
    expect(d.tone).toBe('admitted');
    expect(d.title).toBe('ADMITTED');
    expect(d.holder).toBe('Ada Lopez');
    expect(d.product).toBe('General Admission');
    expect(d.detail).toBe('');
  });

  it('counts multi-use tickets', () => {
    const d = describeVerdict({ ...base, redemption_count: 2, redemption_quantity: 3 });
    expect(d.detail).toBe('Use 2 of 3');
  });

  it('shows an amber repeat with when and which gate', () => {
    const d = describeVerdict(
      {
        ...base,
        code: 'already_redeemed',
        admitted: false,
        first_redeemed_at: Date.UTC(2025, 5, 1, 19, 5) / 1000,
        first_gate: 'North',
      },
      'UTC',
    );
    expect(d.tone).toBe('repeat');
    expect(d.title).toBe('ALREADY REDEEMED');
    expect(d.reason).toBe('First scanned at 19:05, gate North');
  });

  it('refuses with a readable reason for every door code', () => {
    for (const code of ['forged', 'revoked', 'expired', 'malformed', 'wrong_event']) {
      const d = describeVerdict({ ...base, code, admitted: false, holder_name: null });
      expect(d.tone).toBe('refused');
      expect(d.title).toBe('REFUSED');
      expect(d.reason).not.toBe(code);
      expect(d.holder).toBe('');
    }
  });

  it('falls back to the message for unknown codes', () => {
    const d = describeVerdict({ ...base, code: 'new_code', admitted: false, message: 'Odd' });
    expect(d.reason).toBe('Odd');
  });

  it('never admits on the code alone', () => {
    expect(describeVerdict({ ...base, admitted: false }).tone).toBe('refused');
  });

  it('has a distinct beep per outcome', () => {
    const freqs = new Set(Object.values(BEEPS).map((b) => b.freq));
    expect(freqs.size).toBe(3);
  });
});
