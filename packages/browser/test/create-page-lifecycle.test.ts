// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LifecycleSignal } from '@tokenward/core';
import { createPageLifecycle } from '../src/create-page-lifecycle.js';

function setVisibility(state: 'visible' | 'hidden'): void {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
  document.dispatchEvent(new Event('visibilitychange'));
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
});

function subscribe(options?: Parameters<typeof createPageLifecycle>[0]) {
  const signals: LifecycleSignal[] = [];
  const cleanup = createPageLifecycle(options).subscribe((signal) => signals.push(signal));
  return { signals, cleanup };
}

describe('createPageLifecycle', () => {
  it('wakes on visibility to visible, pageshow and focus, never on hidden', () => {
    vi.useFakeTimers({ now: 0 });
    const { signals, cleanup } = subscribe();
    setVisibility('hidden');
    expect(signals).toEqual([]);
    setVisibility('visible');
    vi.setSystemTime(2000);
    window.dispatchEvent(new Event('pageshow'));
    vi.setSystemTime(4000);
    window.dispatchEvent(new Event('focus'));
    expect(signals).toEqual(['wake', 'wake', 'wake']);
    cleanup();
  });

  it('rate-limits wakes: a focus right after a visibility change adds nothing', () => {
    vi.useFakeTimers({ now: 10_000 });
    const { signals, cleanup } = subscribe({ minWakeIntervalMs: 1000 });
    setVisibility('visible');
    window.dispatchEvent(new Event('focus'));
    window.dispatchEvent(new Event('pageshow'));
    vi.setSystemTime(10_999);
    window.dispatchEvent(new Event('focus'));
    expect(signals).toEqual(['wake']);
    vi.setSystemTime(11_000);
    window.dispatchEvent(new Event('focus'));
    expect(signals).toEqual(['wake', 'wake']);
    // A wall clock set back does not silence wakes until it catches up.
    vi.setSystemTime(0);
    window.dispatchEvent(new Event('focus'));
    expect(signals).toEqual(['wake', 'wake', 'wake']);
    cleanup();
  });

  it('reports online and offline, unthrottled, and reads navigator.onLine', () => {
    const { signals, cleanup } = subscribe();
    window.dispatchEvent(new Event('offline'));
    window.dispatchEvent(new Event('online'));
    window.dispatchEvent(new Event('offline'));
    expect(signals).toEqual(['offline', 'online', 'offline']);
    cleanup();
    const onLine = vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false);
    expect(createPageLifecycle().isOnline()).toBe(false);
    onLine.mockReturnValue(true);
    expect(createPageLifecycle().isOnline()).toBe(true);
  });

  it('attaches on subscribe, removes every listener on cleanup, and never listens to unload', () => {
    const added: string[] = [];
    const removed: string[] = [];
    for (const target of [window, document]) {
      const add = target.addEventListener.bind(target);
      const remove = target.removeEventListener.bind(target);
      vi.spyOn(target, 'addEventListener').mockImplementation((type, listener, options) => (added.push(type), add(type, listener, options)));
      vi.spyOn(target, 'removeEventListener').mockImplementation((type, listener, options) => (removed.push(type), remove(type, listener, options)));
    }
    const lifecycle = createPageLifecycle();
    expect(added).toEqual([]);
    const signals: LifecycleSignal[] = [];
    const cleanup = lifecycle.subscribe((signal) => signals.push(signal));
    expect(added.sort()).toEqual(['focus', 'offline', 'online', 'pageshow', 'visibilitychange']);
    expect(added).not.toContain('unload');
    expect(added).not.toContain('beforeunload');
    cleanup();
    expect(removed.sort()).toEqual(added);
    window.dispatchEvent(new Event('offline'));
    expect(signals).toEqual([]);
  });
});
