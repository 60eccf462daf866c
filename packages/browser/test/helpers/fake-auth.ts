import { RefreshFailedError, createSession, type Clock, type Refresher, type Session, type SessionEventName, type SessionEvents } from '@tokenward/core';
import { systemClock } from '@tokenward/core/internal';
import { createMemoryLock } from '../../src/coordinator/create-memory-lock.js';
import { createTabCoordinator, type CoordinatorTimings, type TabCoordinator } from '../../src/create-tab-coordinator.js';

export interface FakeAuthOptions {
  /** Access-token lifetime in seconds. */
  ttl?: number;
  /** Server time per refresh, in ms (per call number when a function). */
  delay?: number | ((call: number) => number);
  /** Answer this status instead (per call number). */
  fail?: (call: number) => number | undefined;
  /** How long a success takes back to the client after the server rotated (an abort then loses it). Default 0. */
  transit?: number;
}

/**
 * One browser's view of a server with rotating refresh tokens and strict reuse detection: the
 * refresh cookie lives in a jar all tabs share, rotation happens when the answer is sent (unless
 * the client went away), and a rotated token presented again revokes the family.
 */
export function createFakeAuth(options: FakeAuthOptions = {}) {
  const { ttl = 1, delay = 15, fail, transit = 0 } = options;
  const stats = { requests: 0, successes: 0, failures: 0, reuse: 0 };
  let current = 1;
  let jar: number | undefined = 1;
  let revoked = false;

  const wait = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const timer = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
    });

  const refresh: Refresher = async ({ signal }) => {
    const call = ++stats.requests;
    const presented = jar;
    await wait(typeof delay === 'function' ? delay(call) : delay, signal);
    const status = fail?.(call);
    if (status) {
      stats.failures++;
      throw new RefreshFailedError(`HTTP ${status}`, { status, retryAfterMs: status === 503 ? 100 : undefined });
    }
    if (revoked || presented !== current) {
      if (!revoked && presented !== undefined && presented < current) stats.reuse++;
      revoked = true;
      stats.failures++;
      throw new RefreshFailedError('HTTP 401', { status: 401, oauthError: 'invalid_grant' });
    }
    jar = current = current + 1;
    stats.successes++;
    if (transit) await wait(transit, signal);
    return { accessToken: `access-${current}`, tokenType: 'Bearer', expiresIn: ttl };
  };

  return { refresh, stats, revoke: () => void (revoked = true) };
}

export const FAST: CoordinatorTimings = { helloMs: 40, refreshTimeoutMs: 500, lockWaitMs: 1500, handoffMs: 20 };

/** The lock manager of the one "browser" every tab of these tests runs in (lock names carry the channel). */
export const browserLock = createMemoryLock();

const EVENTS = ['signed-in', 'refreshed', 'refresh-failed', 'session-expired', 'signed-out'] as const;

export interface Tab {
  session: Session;
  coordinator: TabCoordinator;
  events: Array<{ name: SessionEventName; payload: SessionEvents[SessionEventName] }>;
  count(name: SessionEventName, origin?: 'local' | 'peer'): number;
  close(): Promise<void>;
}

/** A tab: a session with its coordinator over Node's BroadcastChannel and the shared in-memory lock. */
export function openTab(channel: string, refresh: Refresher, clock: Clock = systemClock): Tab {
  const policy = { leadMs: 400, leadFraction: 0, jitterFraction: 0.5, timeoutMs: FAST.refreshTimeoutMs };
  const coordinator = createTabCoordinator({ name: channel, timings: FAST, clock, lock: browserLock });
  const session = createSession({ refresh, coordinator, policy, clock, onListenerError: () => {} });
  const events: Tab['events'] = [];
  for (const name of EVENTS) session.on(name, (payload) => events.push({ name, payload }));
  return {
    session,
    coordinator,
    events,
    count: (name, origin) => events.filter((e) => e.name === name && (!origin || (e.payload as { origin?: string }).origin === origin)).length,
    async close() {
      session.dispose();
      await coordinator.close();
    },
  };
}

let channels = 0;
/** A channel name no other test uses. */
export const freshChannel = () => `test-${process.pid}-${++channels}`;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` stops throwing (or fails with its last error). */
export async function eventually(check: () => void, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > end) throw error;
      await sleep(10);
    }
  }
}
