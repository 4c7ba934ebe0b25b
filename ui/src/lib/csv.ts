// CSV text (RFC 4180 quoting) for the sales export.

function cell(v: string | number): string {
  const s = String(v);
  // Quote when needed; prefix formula starters so a spreadsheet shows them as text.
  const safe = /^[=+\-@]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(header: string[], rows: (string | number)[][]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
