// The management screens' helpers: head office's shapes, which form field an
// error belongs to, local date-times, the product body a form makes, and who has
// received a change. Head office validates everything; nothing here decides.
import type { ApiError } from './api';

export interface Page<T> {
  items: T[];
  meta: { total_items: number; total_pages: number; current_page: number };
}

export interface HoEvent {
  id: string;
  name: string;
  start_date: number;
  end_date: number;
  location: string;
  address: string;
  description: string | null;
  reference_id: string | null;
}

export interface HoPrice {
  currency: string;
  amount: string;
}

export interface HoProduct {
  id: string;
  event_id: string | null;
  name: string;
  description: string | null;
  type: 'admission' | 'presale' | 'perks';
  prices: HoPrice[];
  stock: number | null;
  max_per_account: number | null;
  redemption_quantity: number;
  is_transferable: boolean;
  is_claimable: boolean;
  allow_reentry: boolean;
  min_rep_balance: number;
  max_items: number | null;
  active: boolean;
  mint_nft: boolean;
  metadata_uri: string | null;
  chain: string | null;
  status: 'draft' | 'published';
  slug: string | null;
  tags: string[];
  start_sale_at: number | null;
  end_sale_at: number | null;
  issued: number;
  order_rules: { id: string; start_at: number | null; end_at: number | null; purchase_limit: number | null }[];
}

export interface HoStaff {
  id: string;
  name: string;
  role: 'door' | 'box_office' | 'manager' | 'admin';
  active: boolean;
  created_at: number;
}

export interface HoDevice {
  device_id: string;
  name: string;
  revoked: boolean;
  last_push_at: number | null;
  last_pull_at: number | null;
  last_pull_cursor: number | null;
  applied: number;
  duplicate: number;
  conflict: number;
  rejected: number;
  /** Uploads waiting, as the device said with its last pull. */
  pending_ops: number | null;
  app_version: string | null;
}

export interface HoReward {
  id: string;
  name: string;
  description: string | null;
  credit_cost: number;
  grants: { product_id: string; quantity: number } | null;
  supply: { available: number | null; total: number | null };
  redeemed_count: number;
  max_per_user: number | null;
  min_tier_id: number | null;
  active: boolean;
}

export interface HoTier {
  id: number;
  name: string;
  min_token_balance: number;
  discount_percentage: string;
}

/**
 * The form field a head office error is about, so the message shows next to it:
 * `invalid_field: end_sale_at: ...`, `invalid_price: ...`, a slug conflict,
 * `unknown field \`x\``. Null when the error is about the request as a whole.
 */
export function fieldOf(e: ApiError): string | null {
  const m = /invalid_field: ([a-z_]+):/.exec(e.message);
  if (m) return m[1]!;
  if (e.code === 'invalid_price') return 'price';
  if (e.code === 'invalid_metadata') return 'metadata_uri';
  if (e.code === 'conflict' && /slug/i.test(e.message)) return 'slug';
  // serde's words for a body field of the wrong type or an unknown one.
  const t = /target type: ([a-z_]+): /.exec(e.message);
  if (t) return t[1]!;
  const u = /unknown field `([a-z_]+)`/.exec(e.message);
  if (u) return u[1]!;
  return null;
}

/** Head office's message without the transport's and the code's prefixes. */
export function said(e: ApiError): string {
  return e.message.replace(/^head office answered \d+: /, '').replace(/^[a-z_]+: /, '');
}

/** `<input type="datetime-local">` text (local time) as unix seconds; '' is null. */
export function toUnix(local: string): number | null {
  if (!local.trim()) return null;
  const t = new Date(local).getTime();
  return Number.isNaN(t) ? null : Math.floor(t / 1000);
}

/** Unix seconds as `<input type="datetime-local">` text in local time. */
export function fromUnix(t: number | null): string {
  if (t === null) return '';
  const d = new Date(t * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A local `YYYY-MM-DD` day's start, or the start of the day after it (`end`). */
export function dayBound(day: string, end = false): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (end ? 1 : 0));
  return Math.floor(d.getTime() / 1000);
}

/** Everything the product form edits, as typed text and switches. */
export interface ProductForm {
  type: 'admission' | 'presale' | 'perks';
  name: string;
  description: string;
  event_id: string;
  /** One `CUR amount` per line, e.g. `EUR 25.00`. */
  prices: string;
  stock: string;
  max_per_account: string;
  redemption_quantity: string;
  max_items: string;
  min_rep_balance: string;
  is_transferable: boolean;
  is_claimable: boolean;
  allow_reentry: boolean;
  active: boolean;
  slug: string;
  tags: string;
  start_sale_at: string;
  end_sale_at: string;
  mint_nft: boolean;
  metadata_uri: string;
  chain: string;
}

export function emptyProduct(): ProductForm {
  return {
    type: 'admission',
    name: '',
    description: '',
    event_id: '',
    prices: 'EUR ',
    stock: '',
    max_per_account: '',
    redemption_quantity: '1',
    max_items: '',
    min_rep_balance: '0',
    is_transferable: true,
    is_claimable: false,
    allow_reentry: false,
    active: true,
    slug: '',
    tags: '',
    start_sale_at: '',
    end_sale_at: '',
    mint_nft: false,
    metadata_uri: '',
    chain: '',
  };
}

export function productForm(p: HoProduct): ProductForm {
  const n = (v: number | null) => (v === null ? '' : String(v));
  return {
    type: p.type,
    name: p.name,
    description: p.description ?? '',
    event_id: p.event_id ?? '',
    prices: p.prices.map((x) => `${x.currency} ${x.amount}`).join('\n'),
    stock: n(p.stock),
    max_per_account: n(p.max_per_account),
    redemption_quantity: String(p.redemption_quantity),
    max_items: n(p.max_items),
    min_rep_balance: String(p.min_rep_balance),
    is_transferable: p.is_transferable,
    is_claimable: p.is_claimable,
    allow_reentry: p.allow_reentry,
    active: p.active,
    slug: p.slug ?? '',
    tags: p.tags.join(', '),
    start_sale_at: fromUnix(p.start_sale_at),
    end_sale_at: fromUnix(p.end_sale_at),
    mint_nft: p.mint_nft,
    metadata_uri: p.metadata_uri ?? '',
    chain: p.chain ?? '',
  };
}

/**
 * The JSON head office reads for a product. Numbers are sent as typed (a text
 * that is not a number goes as text, and head office names the field); an empty
 * optional field is null, which clears it on an edit.
 */
export function productBody(f: ProductForm): Record<string, unknown> {
  const num = (s: string) => {
    const t = s.trim();
    if (t === '') return null;
    return /^-?\d+$/.test(t) ? Number(t) : t;
  };
  const text = (s: string) => (s.trim() === '' ? null : s.trim());
  const prices = f.prices
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((l) => {
      const [currency = '', ...rest] = l.split(/\s+/);
      return { currency: currency.toUpperCase(), amount: rest.join(' ') };
    });
  return {
    type: f.type,
    name: f.name.trim(),
    description: text(f.description),
    event_id: text(f.event_id),
    prices,
    stock: num(f.stock),
    max_per_account: num(f.max_per_account),
    redemption_quantity: num(f.redemption_quantity) ?? 1,
    max_items: num(f.max_items),
    min_rep_balance: num(f.min_rep_balance) ?? 0,
    is_transferable: f.is_transferable,
    is_claimable: f.is_claimable,
    allow_reentry: f.allow_reentry,
    active: f.active,
    slug: text(f.slug),
    tags: f.tags
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== ''),
    start_sale_at: toUnix(f.start_sale_at),
    end_sale_at: toUnix(f.end_sale_at),
    mint_nft: f.mint_nft,
    metadata_uri: text(f.metadata_uri),
    chain: text(f.chain),
  };
}

/** A new draft with a product's fields: same prices and rules, no slug, "(copy)". */
export function duplicateForm(p: HoProduct): ProductForm {
  return { ...productForm(p), name: `${p.name} (copy)`, slug: '' };
}

/** The enrolled devices (not revoked) that have pulled since `since` (unix s). */
export function receivedBy(devices: HoDevice[], since: number): { done: number; of: number } {
  const live = devices.filter((d) => !d.revoked);
  return {
    done: live.filter((d) => d.last_pull_at !== null && d.last_pull_at >= since).length,
    of: live.length,
  };
}

/** A unix time as a short local date and time, or a dash. */
export function shortTime(t: number | null): string {
  if (t === null) return '—';
  return new Date(t * 1000).toLocaleString('en-GB', {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });
}
