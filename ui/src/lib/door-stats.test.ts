import { describe, expect, it } from 'vitest';
import { countVerdict, doorStats, hourKey, thisHour } from './door-stats.svelte';

describe('door counters', () => {
  it('counts admitted, refused and admissions in the current hour', () => {
    const nine = new Date(2025, 5, 1, 21, 10);
    const ten = new Date(2025, 5, 1, 22, 0);
    countVerdict(true, nine);
    countVerdict(true, nine);
    countVerdict(false, nine);
    countVerdict(true, ten);
    expect(doorStats.admitted).toBe(3);
    expect(doorStats.refused).toBe(1);
    expect(thisHour(nine)).toBe(2);
    expect(thisHour(ten)).toBe(1);
    expect(hourKey(nine)).toBe('2025-06-01 21');
  });
});
