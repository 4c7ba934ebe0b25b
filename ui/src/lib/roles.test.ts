import { describe, expect, it } from 'vitest';
import { homeScreen, screenForKey, screensFor } from './roles';

describe('roles', () => {
  it('shows each role its screens', () => {
    expect(screensFor('door').map((s) => s.id)).toEqual(['door', 'sync']);
    expect(screensFor('box_office').map((s) => s.id)).toEqual([
      'door',
      'box',
      'issue',
      'items',
      'sync',
    ]);
    expect(screensFor('manager').map((s) => s.id)).toContain('sales');
    expect(screensFor('box_office').map((s) => s.id)).not.toContain('sales');
    expect(screensFor('admin')).toHaveLength(8);
    expect(screensFor('manager').map((s) => s.id)).toContain('setup');
    expect(screensFor('box_office').map((s) => s.id)).not.toContain('setup');
  });

  it('maps F-keys to visible screens only', () => {
    expect(screenForKey('F1', 'door')).toBe('door');
    expect(screenForKey('F2', 'door')).toBe('sync');
    expect(screenForKey('F3', 'door')).toBeNull();
    expect(screenForKey('F2', 'box_office')).toBe('box');
    expect(screenForKey('F7', 'admin')).toBe('sync');
    expect(screenForKey('F8', 'manager')).toBe('setup');
    expect(screenForKey('Enter', 'admin')).toBeNull();
  });

  it('starts sellers at the box office', () => {
    expect(homeScreen('door')).toBe('door');
    expect(homeScreen('manager')).toBe('box');
  });
});
