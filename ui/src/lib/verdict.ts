// How a door verdict is shown: colour, headline, reason and details.
import type { Verdict } from './types';

export type Tone = 'admitted' | 'repeat' | 'refused';

export interface VerdictDisplay {
  tone: Tone;
  title: string;
  reason: string;
  holder: string;
  product: string;
  detail: string;
}

const REASONS: Record<string, string> = {
  forged: 'Forged or altered ticket',
  unknown_issuer: 'Issued by a key this door does not trust',
  revoked: 'Ticket has been revoked',
  wrong_event: 'Ticket is for another event',
  not_yet_valid: 'Ticket is not valid yet',
  expired: 'Ticket has expired',
  unknown_ticket: 'Unknown ticket',
  malformed: 'Not a Wicket ticket',
  already_redeemed: 'Already used',
  wrong_zone: 'Ticket is not for this zone',
};

/** "14:05" local time of a unix timestamp (seconds). */
export function clock(ts: number, timeZone?: string): string {
  return new Date(ts * 1000).toLocaleTimeString('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
  });
}

export function describeVerdict(v: Verdict, timeZone?: string): VerdictDisplay {
  const holder = v.holder_name ?? '';
  const product = v.product_name ?? '';
  if (v.admitted && v.direction === 'out') {
    return { tone: 'admitted', title: 'EXIT', reason: 'Exit recorded', holder, product, detail: '' };
  }
  if (v.admitted && v.reentry) {
    return {
      tone: 'admitted',
      title: 'BACK IN',
      reason: 'Re-entry: no entry used',
      holder,
      product,
      detail: '',
    };
  }
  if (v.code === 'already_inside') {
    const when = v.first_redeemed_at !== null ? ` at ${clock(v.first_redeemed_at, timeZone)}` : '';
    const where = v.first_gate ? `gate ${v.first_gate}` : 'another gate';
    return {
      tone: 'repeat',
      title: 'ALREADY INSIDE',
      reason: `Went in${when}, ${where}; must go out first`,
      holder,
      product,
      detail: '',
    };
  }
  if (v.admitted) {
    const q = v.redemption_quantity ?? 1;
    const n = v.redemption_count ?? 1;
    return {
      tone: 'admitted',
      title: 'ADMITTED',
      reason: '',
      holder,
      product,
      detail: q > 1 ? `Use ${n} of ${q}` : v.in_replica === false ? 'Admitted on signature' : '',
    };
  }
  if (v.code === 'already_redeemed') {
    const when = v.first_redeemed_at !== null ? ` at ${clock(v.first_redeemed_at, timeZone)}` : '';
    const where = v.first_gate ? `gate ${v.first_gate}` : 'another gate';
    return {
      tone: 'repeat',
      title: 'ALREADY REDEEMED',
      reason: `First scanned${when}, ${where}`,
      holder,
      product,
      detail:
        v.redemption_count !== null && v.redemption_quantity !== null
          ? `Used ${v.redemption_count} of ${v.redemption_quantity}`
          : '',
    };
  }
  return {
    tone: 'refused',
    title: 'REFUSED',
    reason: REASONS[v.code] ?? (v.message || v.code),
    holder,
    product,
    detail: v.code,
  };
}

/** Tones of the three door beeps: frequency (Hz), length (ms), repeats. */
export const BEEPS: Record<Tone, { freq: number; ms: number; count: number; wave: OscillatorType }> =
  {
    admitted: { freq: 1320, ms: 120, count: 1, wave: 'sine' },
    repeat: { freq: 660, ms: 110, count: 2, wave: 'triangle' },
    refused: { freq: 196, ms: 450, count: 1, wave: 'square' },
  };
