// Input checks done before a command is sent (the replica checks again).

export const MAX_RECIPIENTS = 550;
export const MAX_SALE_QUANTITY = 100;

export function isValidPin(pin: string): boolean {
  return /^\d{4,12}$/.test(pin);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function isEmail(s: string): boolean {
  return s.length <= 254 && EMAIL.test(s.trim());
}

export function isUuid(s: string): boolean {
  return UUID.test(s.trim());
}

/** A quantity field: a whole number 1..max, or an error message. */
export function parseQuantity(
  s: string,
  max = MAX_SALE_QUANTITY,
): { ok: true; value: number } | { ok: false; error: string } {
  const t = s.trim();
  if (!/^\d+$/.test(t)) return { ok: false, error: 'Quantity must be a whole number' };
  const n = Number.parseInt(t, 10);
  if (n < 1) return { ok: false, error: 'Quantity must be at least 1' };
  if (n > max) return { ok: false, error: `At most ${max} per sale` };
  return { ok: true, value: n };
}

/** A money amount typed by staff: not negative, at most two decimals ("100", "12.50"). */
export function isAmount(s: string): boolean {
  return /^\d{1,9}(\.\d{1,2})?$/.test(s.trim());
}

/** Item numbers typed for a partial refund: "3, 5 7" -> [3, 5, 7]; null if any is bad. */
export function parseItemNumbers(s: string): number[] | null {
  const parts = s.split(/[\s,;]+/).filter((p) => p.length > 0);
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,12}$/.test(p)) return null;
    out.push(Number.parseInt(p, 10));
  }
  return out;
}

export interface RecipientLine {
  input: string;
  kind: 'email' | 'user' | 'invalid';
}

/** Split pasted text (lines, commas, semicolons, spaces) into recipients. */
export function parseRecipients(text: string): {
  lines: RecipientLine[];
  invalid: number;
  tooMany: boolean;
} {
  const lines = text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((input): RecipientLine => ({
      input,
      kind: isUuid(input) ? 'user' : isEmail(input) ? 'email' : 'invalid',
    }));
  return {
    lines,
    invalid: lines.filter((l) => l.kind === 'invalid').length,
    tooMany: lines.length > MAX_RECIPIENTS,
  };
}

/** Scanner text: wedge scanners may add CR/LF or spaces around the token. */
export function cleanScan(text: string): string {
  return text.replace(/[\r\n\t]/g, '').trim();
}
