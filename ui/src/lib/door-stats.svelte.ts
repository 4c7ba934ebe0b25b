// Door counters for this session, kept across screen switches.

export const doorStats = $state({
  admitted: 0,
  refused: 0,
  /** Admissions per local clock hour, keyed "YYYY-MM-DD HH". */
  perHour: {} as Record<string, number>,
});

export function hourKey(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}`;
}

export function countVerdict(admitted: boolean, at: Date): void {
  if (admitted) {
    doorStats.admitted += 1;
    const k = hourKey(at);
    doorStats.perHour[k] = (doorStats.perHour[k] ?? 0) + 1;
  } else {
    doorStats.refused += 1;
  }
}

export function thisHour(at: Date): number {
  return doorStats.perHour[hourKey(at)] ?? 0;
}
