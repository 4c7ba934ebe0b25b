// Which screens a role sees, in tab order, and their F-key shortcuts.
import type { Role } from './types';

export type ScreenId = 'door' | 'box' | 'issue' | 'items' | 'rewards' | 'sales' | 'sync' | 'setup';

export interface Screen {
  id: ScreenId;
  label: string;
  min: Role;
}

export const ROLE_ORDER: Role[] = ['door', 'box_office', 'manager', 'admin'];

export const SCREENS: Screen[] = [
  { id: 'door', label: 'Door', min: 'door' },
  { id: 'box', label: 'Box office', min: 'box_office' },
  { id: 'issue', label: 'Issue', min: 'box_office' },
  { id: 'items', label: 'Items', min: 'box_office' },
  { id: 'rewards', label: 'Rewards', min: 'manager' },
  { id: 'sales', label: 'Sales', min: 'manager' },
  // Everyone sees whether the device is online and what waits to upload.
  { id: 'sync', label: 'Sync', min: 'door' },
  // Setting the venue up at head office (online only).
  { id: 'setup', label: 'Setup', min: 'manager' },
];

export function roleAtLeast(role: Role, min: Role): boolean {
  return ROLE_ORDER.indexOf(role) >= ROLE_ORDER.indexOf(min);
}

export function screensFor(role: Role): Screen[] {
  return SCREENS.filter((s) => roleAtLeast(role, s.min));
}

/** The first screen after sign-in: the box office for sellers, else the door. */
export function homeScreen(role: Role): ScreenId {
  return role === 'door' ? 'door' : 'box';
}

/** F1..F8 pick the n-th visible screen; anything else is null. */
export function screenForKey(key: string, role: Role): ScreenId | null {
  const m = /^F([1-9])$/.exec(key);
  if (!m) return null;
  const s = screensFor(role)[Number(m[1]) - 1];
  return s ? s.id : null;
}

export function roleLabel(role: Role): string {
  return { door: 'Door', box_office: 'Box office', manager: 'Manager', admin: 'Admin' }[role];
}
