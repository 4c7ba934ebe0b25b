// Pure helpers for the first-run (enroll) screen, the header's sync badge and the
// Sync screen.
import type { AppInfo, SyncView } from './types';

export type FirstScreen = 'enroll' | 'pulling' | 'signin';

/** Which screen the app opens on. */
export function firstScreen(info: AppInfo): FirstScreen {
  if (info.needs_enrollment) return 'enroll';
  if (info.enrolled && !info.first_sync_done) return 'pulling';
  return 'signin';
}

export interface EnrollForm {
  url: string;
  code: string;
  name: string;
}

/** Field errors of the first-run form (empty when it may be sent). */
export function enrollErrors(f: EnrollForm): Partial<Record<keyof EnrollForm, string>> {
  const out: Partial<Record<keyof EnrollForm, string>> = {};
  const url = f.url.trim();
  if (!/^https?:\/\/[^\s/]+\S*$/i.test(url) || url.length > 300) {
    out.url = 'Enter the head office address, e.g. http://10.0.0.5:8080';
  }
  const code = f.code.trim();
  if (!code) out.code = 'Enter the one-time code from head office';
  else if (code.length > 200) out.code = 'That code is too long';
  const name = f.name.trim();
  if (!name) out.name = 'Name this device, e.g. North door';
  else if (name.length > 100) out.name = 'At most 100 characters';
  return out;
}

/** An enrollment code as its QR (and a wedge scanner) carries it: `WKENROLL1 <url> <code>`. */
export function enrollmentText(url: string, code: string): string {
  return `WKENROLL1 ${url.trim()} ${code.trim()}`;
}

/** The head office address and code of a scanned or pasted enrollment text, else null. */
export function parseEnrollment(text: string): { url: string; code: string } | null {
  const m = /^\s*WKENROLL1\s+(https?:\/\/\S+)\s+(\S+)\s*$/i.exec(text);
  return m ? { url: m[1]!, code: m[2]! } : null;
}

/** Pull progress as a whole percentage, or null when no pull with a known size runs. */
export function pullPercent(v: SyncView | null): number | null {
  if (!v || !v.syncing || v.pull_total <= 0) return null;
  return Math.min(100, Math.floor((v.pull_done * 100) / v.pull_total));
}

export type Connection = 'online' | 'offline' | 'local';

/** The header badge: a demo/stand-alone replica is local; else online or offline. */
export function connection(v: SyncView | null): Connection {
  if (!v || !v.enrolled) return 'local';
  return v.online ? 'online' : 'offline';
}

export function connectionLabel(c: Connection): string {
  return { online: 'Online', offline: 'Offline', local: 'Local only' }[c];
}

/** "never", "just now", "5 min ago", "3 h ago", or the date for anything older. */
export function lastSyncText(unixSecs: number | null, now: Date = new Date()): string {
  if (unixSecs === null) return 'never';
  const secs = Math.floor(now.getTime() / 1000) - unixSecs;
  if (secs < 60) return 'just now';
  if (secs < 3600) return `${Math.floor(secs / 60)} min ago`;
  if (secs < 86400) return `${Math.floor(secs / 3600)} h ago`;
  return new Date(unixSecs * 1000).toLocaleString('en-GB');
}

/** Plain words for a conflict's source. */
export function conflictSource(source: string): string {
  return source === 'rejected' ? 'Refused by head office' : 'Flagged for review';
}
