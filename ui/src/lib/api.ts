// Typed wrappers over the Tauri commands. Every failure is thrown as an ApiError
// `{code, message}`, whatever shape it arrived in.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  AppInfo,
  ConflictRecord,
  CustomerView,
  DoorStats,
  DrawerView,
  QuoteView,
  Refund,
  EventInfo,
  IssueResult,
  ItemDetail,
  ItemView,
  Product,
  SaleResult,
  SalesView,
  Staff,
  SyncView,
  Verdict,
} from './types';

export interface ApiError {
  code: string;
  message: string;
}

export function toApiError(e: unknown): ApiError {
  if (typeof e === 'object' && e !== null && 'code' in e && 'message' in e) {
    const o = e as { code: unknown; message: unknown };
    return { code: String(o.code), message: String(o.message) };
  }
  if (e instanceof Error) return { code: 'internal', message: e.message };
  return { code: 'internal', message: String(e) };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toApiError(e);
  }
}

export interface SellInput {
  product_id: string;
  quantity: number;
  buyer_email: string;
  buyer_first_name: string | null;
  buyer_last_name: string | null;
  payment_method: 'cash' | 'card';
  /** Split payment: this much cash, the rest by card. */
  cash_amount?: string | null;
  /** Cash handed over, for the change due. */
  tendered?: string | null;
}

export const api = {
  session: () => call<Staff | null>('session'),
  signIn: (pin: string) => call<Staff>('sign_in', { pin }),
  signOut: () => call<void>('sign_out'),
  events: () => call<EventInfo[]>('events'),
  scan: (text: string, gate: string | null, event: string | null, direction: 'in' | 'out' = 'in') =>
    call<Verdict>('scan', { text, gate, event, direction }),
  scanImage: (
    imageBase64: string,
    gate: string | null,
    event: string | null,
    direction: 'in' | 'out' = 'in',
  ) => call<Verdict>('scan_image', { image_base64: imageBase64, gate, event, direction }),
  decodeFrame: (width: number, height: number, grayBase64: string) =>
    call<string | null>('decode_frame', { width, height, gray_base64: grayBase64 }),
  products: () => call<Product[]>('products'),
  sell: (req: SellInput) => call<SaleResult>('sell', { req }),
  quote: (req: SellInput) => call<QuoteView>('quote', { req }),
  issue: (productId: string, recipients: string[]) =>
    call<IssueResult>('issue', { product_id: productId, recipients }),
  findItems: (query: string) => call<ItemView[]>('find_items', { query }),
  doorSearch: (query: string) => call<ItemView[]>('door_search', { query }),
  doorStats: (since: number) => call<DoorStats>('door_stats', { since }),
  checkIn: (item: string, gate: string | null, reason: string) =>
    call<ItemView>('check_in', { item, gate, reason }),
  itemDetail: (item: string) => call<ItemDetail>('item_detail', { item }),
  transfer: (item: string, from: string, to: string) =>
    call<ItemView>('transfer', { item, from, to }),
  revoke: (item: string, reason: string) => call<ItemView>('revoke', { item, reason }),
  customer: (query: string) => call<CustomerView>('customer', { query }),
  redeemReward: (offer: string, who: string) =>
    call<{ customer: unknown; items: unknown[] }>('redeem_reward', { offer, who }),
  sales: () => call<SalesView>('sales'),
  refund: (order: string, items: number[], reason: string) =>
    call<Refund>('refund', { order, items, reason }),
  drawer: () => call<DrawerView>('drawer'),
  drawerOpen: (float: string, currency: string | null) =>
    call<DrawerView>('drawer_open', { float, currency }),
  drawerClose: (counted: string) => call<DrawerView>('drawer_close', { counted }),
  printer: () => call<string | null>('printer'),
  setPrinter: (queue: string | null) => call<string | null>('set_printer', { queue }),
  appInfo: () => call<AppInfo>('app_info'),
  enroll: (url: string, code: string, name: string) =>
    call<SyncView>('enroll', { url, code, name }),
  syncStatus: () => call<SyncView>('sync_status'),
  syncNow: () => call<SyncView>('sync_now'),
  syncConflicts: () => call<ConflictRecord[]>('sync_conflicts'),
  exportRange: (kind: ExportKind, from: number, to: number, format: 'csv' | 'xlsx') =>
    call<Saved>('export', { kind, from, to, format }),
  manageStatus: () => call<ManageStatus>('manage_status'),
  manageSignIn: (pin: string) => call<ManageStatus>('manage_sign_in', { pin }),
  /** One head office API request as the signed-in manager or admin. */
  manage: <T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown) =>
    call<T>('manage', { method, path, body: body ?? null }),
  saveClaimCodes: (product: string, codes: { code: string; url: string }[], format: 'pdf' | 'csv') =>
    call<Saved>('save_claim_codes', { product, codes, format }),
  qrSvg: (text: string) => call<string>('qr_svg', { text }),
  lanStatus: () => call<LanView>('lan_status'),
  setLanPeers: (peers: string[]) => call<LanView>('set_lan_peers', { peers }),
};

/** A door this one shares admissions with on the venue network. */
export interface PeerStatus {
  url: string;
  device_id: string | null;
  connected: boolean;
  last_contact: number | null;
  last_error: string | null;
  /** This door's facts the peer has not acknowledged yet. */
  behind: number;
  heard: number;
  discovered: boolean;
}

export interface LanView {
  running: boolean;
  device_id: string;
  listen: string | null;
  error: string | null;
  configured: string[];
  peers: PeerStatus[];
}

export type ExportKind = 'sales' | 'items' | 'redemptions' | 'sessions' | 'totals';

/** A file the app saved, and how many rows it holds. */
export interface Saved {
  path: string;
  rows: number;
}

export interface ManageStatus {
  signed_in: boolean;
  role: 'manager' | 'admin' | null;
  expires_at: number | null;
  enrolled: boolean;
}

/** Every status change of the background sync engine. */
export function onSyncStatus(cb: (v: SyncView) => void): Promise<UnlistenFn> {
  return listen<SyncView>('sync-status', (e) => cb(e.payload));
}
