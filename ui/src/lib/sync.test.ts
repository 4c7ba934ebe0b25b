import { describe, expect, it } from 'vitest';
import {
  conflictSource,
  connection,
  enrollErrors,
  firstScreen,
  lastSyncText,
  pullPercent,
} from './sync';
import type { AppInfo, SyncView } from './types';

const info = (over: Partial<AppInfo>): AppInfo => ({
  device_id: 'd',
  enrolled: false,
  demo: false,
  has_data: false,
  needs_enrollment: false,
  first_sync_done: false,
  preset: null,
  key_storage: 'keyring',
  ...over,
});

const view = (over: Partial<SyncView>): SyncView => ({
  device_id: 'd',
  headoffice: 'http://ho',
  enrolled: true,
  running: true,
  online: true,
  syncing: false,
  pending: 0,
  last_sync: null,
  conflicts: 0,
  pull_done: 0,
  pull_total: 0,
  last_error: null,
  ...over,
});

describe('first screen', () => {
  it('asks for head office on a fresh install, waits for the first pull, then signs in', () => {
    expect(firstScreen(info({ needs_enrollment: true }))).toBe('enroll');
    expect(firstScreen(info({ enrolled: true }))).toBe('pulling');
    expect(firstScreen(info({ enrolled: true, first_sync_done: true, has_data: true }))).toBe(
      'signin',
    );
    expect(firstScreen(info({ demo: true, has_data: true }))).toBe('signin');
  });
});

describe('enroll form', () => {
  it('accepts a URL, a code and a name', () => {
    expect(enrollErrors({ url: 'http://127.0.0.1:8080', code: 'en_x', name: 'North' })).toEqual(
      {},
    );
    expect(enrollErrors({ url: ' https://ho.example/ ', code: ' c ', name: ' n ' })).toEqual({});
  });
  it('names each missing or bad field', () => {
    const e = enrollErrors({ url: 'ho.example', code: '  ', name: '' });
    expect(Object.keys(e).sort()).toEqual(['code', 'name', 'url']);
    expect(enrollErrors({ url: 'http://x y', code: 'c', name: 'n' }).url).toBeDefined();
    expect(enrollErrors({ url: 'http://x', code: 'c', name: 'n'.repeat(101) }).name).toBeDefined();
  });
});

describe('sync status', () => {
  it('shows pull progress only while a sized pull runs', () => {
    expect(pullPercent(null)).toBeNull();
    expect(pullPercent(view({ syncing: true, pull_done: 0, pull_total: 0 }))).toBeNull();
    expect(pullPercent(view({ syncing: false, pull_done: 5, pull_total: 10 }))).toBeNull();
    expect(pullPercent(view({ syncing: true, pull_done: 1, pull_total: 3 }))).toBe(33);
    expect(pullPercent(view({ syncing: true, pull_done: 12, pull_total: 10 }))).toBe(100);
  });
  it('tells online, offline and local-only apart', () => {
    expect(connection(view({ online: true }))).toBe('online');
    expect(connection(view({ online: false }))).toBe('offline');
    expect(connection(view({ enrolled: false }))).toBe('local');
    expect(connection(null)).toBe('local');
  });
  it('says when the last sync was', () => {
    const now = new Date(2025, 5, 1, 20, 0, 0);
    const t = Math.floor(now.getTime() / 1000);
    expect(lastSyncText(null, now)).toBe('never');
    expect(lastSyncText(t - 5, now)).toBe('just now');
    expect(lastSyncText(t - 300, now)).toBe('5 min ago');
    expect(lastSyncText(t - 7300, now)).toBe('2 h ago');
    expect(lastSyncText(t - 3 * 86400, now)).toContain('2025');
    expect(conflictSource('rejected')).toBe('Refused by head office');
    expect(conflictSource('conflict')).toBe('Flagged for review');
  });
});
