// Shapes of what the Tauri commands answer (see src-tauri/src/commands.rs).

export type Role = 'door' | 'box_office' | 'manager' | 'admin';

export interface Staff {
  id: string;
  name: string;
  role: Role;
}

export interface Verdict {
  code: string;
  admitted: boolean;
  message: string;
  holder_name: string | null;
  product_name: string | null;
  item: string | null;
  item_id: number | null;
  redemption_count: number | null;
  redemption_quantity: number | null;
  first_redeemed_at: number | null;
  first_gate: string | null;
  first_device: string | null;
  in_replica?: boolean;
  /** Which way the gate scanned; an admitted `out` is an exit. */
  direction?: 'in' | 'out';
  /** Back in after an exit (re-entry products): no entry used. */
  reentry?: boolean;
}

export interface DoorStats {
  since: number;
  admitted: number;
  /** Refused at any door (every door's, through sync). */
  refused: number;
  refused_by_code: { code: string; refused: number }[];
  reentries: number;
  exits: number;
  inside_now: number;
  by_gate: { gate: string; admitted: number; exits: number; refused: number }[];
  by_zone: { zone_id: string; name: string; admitted: number; refused: number }[];
  by_product: {
    product_id: string;
    name: string;
    admitted: number;
    refused: number;
    inside_now: number;
  }[];
  quarter_hours: { start: number; admitted: number }[];
}

export interface EventInfo {
  id: string;
  name: string;
  start_date: number;
  end_date: number;
  location: string;
}

export interface Product {
  id: string;
  name: string;
  product_type: string;
  event_id: string | null;
  price: string | null;
  currency: string | null;
  stock_left: number | null;
  issued: number;
  max_per_account: number | null;
  on_sale: boolean;
  is_transferable: boolean;
}

export interface SaleQuote {
  currency: string;
  unit_price: string;
  quantity: number;
  subtotal: string;
  discount_percentage: string;
  discount: string;
  total: string;
}

export interface Sale {
  id: string;
  order_number: string;
  product_id: string;
  quantity: number;
  currency: string;
  unit_price: string;
  discount: string;
  total: string;
  payment_method: string;
  /** A split payment's parts (cash, then card); absent when paid one way. */
  payments?: { method: string; amount: string }[];
  created_at: number;
}

export interface Ticket {
  item: string;
  item_id: number;
  token: string;
  svg: string;
}

export interface SaleResult {
  receipt: { sale: Sale; quote: SaleQuote; change: string | null };
  product_name: string;
  buyer_email: string;
  tickets: Ticket[];
  /** Where the receipt + tickets PDF was saved; null with `pdf_error` when it was not. */
  pdf: string | null;
  pdf_error: string | null;
  /** The print job (a printer is set), or why printing failed. */
  printed: string | null;
  print_error: string | null;
}

export interface Item {
  id: string;
  product_id: string;
  item_id: number;
  owner_id: string;
  redemption_count: number;
  redemption_quantity: number;
  redeemed_at: number | null;
  origin: string;
  revoked: boolean;
  created_at: number;
}

export interface ItemView {
  item: Item;
  product_name: string;
  owner_email: string;
  owner_name: string;
}

export interface Redemption {
  redeemed_at: number;
  device_id: string;
  gate: string | null;
}

export interface ItemDetail {
  view: ItemView;
  is_transferable: boolean;
  redemptions: Redemption[];
  ticket: Ticket | null;
  nft: Nft | null;
}

/** NFT state of an item, as head office's mint worker reports it. */
export interface Nft {
  state: 'none' | 'pending' | 'minted' | 'failed';
  chain?: string;
  collection_id?: number;
  owner?: string;
  tx_hash?: string;
  block_hash?: string;
  attempts?: number;
  error_code?: string;
  error?: string;
}

export interface IssueRow {
  input: string;
  status: 'issued' | 'invalid' | 'unknown' | 'not_issued';
  item_id: number | null;
  message: string;
}

export interface IssueResult {
  issued: number;
  error: { code: string; message: string } | null;
  rows: IssueRow[];
}

export interface Customer {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  reputation: number;
  credits: number;
  status_balance: number;
  country: string | null;
}

export interface RewardOffer {
  id: string;
  name: string;
  description: string | null;
  credit_cost: number;
  max_per_user: number | null;
  country_restrictions: string[];
}

export interface CustomerView {
  customer: Customer;
  display_name: string;
  tier: { id: number; name: string; discount_percentage: string } | null;
  offers: { offer: RewardOffer; available: number | null; affordable: boolean }[];
  items: ItemView[];
}

export interface SalesTotal {
  product_id: string;
  product_name: string;
  currency: string;
  payment_method: string;
  orders: number;
  quantity: number;
  total: string;
  refunded_items: number;
  refunded: string;
  net: string;
}

export interface SaleRow {
  order_number: string;
  product_name: string;
  quantity: number;
  currency: string;
  total: string;
  payment_method: string;
  created_at: number;
  refunded: string;
  refunded_items: number;
}

export interface SalesView {
  totals: SalesTotal[];
  recent: SaleRow[];
}

/** The device's sync state, from `sync_status` and the `sync-status` event. */
export interface SyncView {
  device_id: string;
  headoffice: string | null;
  enrolled: boolean;
  running: boolean;
  online: boolean;
  syncing: boolean;
  pending: number;
  last_sync: number | null;
  conflicts: number;
  pull_done: number;
  pull_total: number;
  last_error: string | null;
}

export interface EnrollPreset {
  url: string;
  code: string;
  name: string;
}

export interface AppInfo {
  device_id: string;
  enrolled: boolean;
  demo: boolean;
  has_data: boolean;
  needs_enrollment: boolean;
  first_sync_done: boolean;
  preset: EnrollPreset | null;
  /** Where the replica's encryption key is kept: keyring, key_file or none. */
  key_storage: string;
}

export interface ConflictRecord {
  id: string;
  op_id: string | null;
  device_id: string | null;
  kind: string;
  item: string | null;
  code: string;
  detail: string;
  at: number;
  /** `conflict` (head office flagged it) or `rejected` (it refused the operation). */
  source: string;
}

/** Money given back for items of an order. */
export interface Refund {
  id: string;
  sale_id: string;
  order_number: string;
  product_id: string;
  item_ids: string[];
  amount: string;
  currency: string;
  payment_method: string;
  reason: string;
  created_at: number;
}

export interface CashSession {
  id: string;
  device_id: string;
  currency: string;
  float: string;
  opened_at: number;
  closed_at: number | null;
  counted: string | null;
}

export interface MethodLine {
  method: string;
  currency: string;
  count: number;
  amount: string;
}

/** The X (open) or Z (closed) report of a drawer session. */
export interface SessionReport {
  session: CashSession;
  kind: 'x' | 'z';
  sales: MethodLine[];
  refunds: MethodLine[];
  products: { product_id: string; name: string; sold: number; refunded: number }[];
  expected_cash: string;
  counted: string | null;
  over_short: string | null;
}

export interface DrawerView {
  open: CashSession | null;
  report: SessionReport | null;
  pdf: string | null;
}

/** What a sale would come to before completing it. */
export interface QuoteView {
  total: string;
  currency: string;
  discount: string;
  payments: { method: string; amount: string }[];
  change: string | null;
}
