import { expect, it } from 'vitest';
import { transitionLink, type LinkEvent, type LinkState } from '../src/redis-link.js';

const failed = (at: number): LinkEvent => ({ type: 'failed', at, reason: 'timeout after 200 ms' });
const answered = (at: number): LinkEvent => ({ type: 'answered', at });

/** Runs `events` from `up`; the final state and every line logged. */
function run(events: LinkEvent[]): { state: LinkState; logs: string[] } {
  let state: LinkState = { status: 'up' };
  const logs: string[] = [];
  for (const event of events) {
    const next = transitionLink(state, event);
    state = next.state;
    if (next.log) logs.push(`${next.log.level}: ${next.log.message}`);
  }
  return { state, logs };
}

it('logs an outage once when it starts and once when it ends, however many calls fail in between', () => {
  const { state, logs } = run([answered(0), failed(1_000), failed(1_100), failed(1_200), answered(4_000), answered(4_100)]);
  expect(state).toEqual({ status: 'up' });
  expect(logs).toEqual([
    'warn: tokenward/redis: Redis unavailable (timeout after 200 ms); each process serves tokens from its own cache and single-flight until it is back',
    'info: tokenward/redis: Redis is back after 3000 ms; refreshes served without it: 3',
  ]);
});

it('counts the calls served without Redis while it is down, and logs nothing more', () => {
  const { state, logs } = run([failed(10), failed(20), failed(30)]);
  expect(state).toEqual({ status: 'down', since: 10, fallbacks: 3 });
  expect(logs).toHaveLength(1);
});

it('logs each outage of several', () => {
  const { logs } = run([failed(0), answered(10), failed(20), answered(50)]);
  expect(logs.map((line) => line.split(':')[0])).toEqual(['warn', 'info', 'warn', 'info']);
  expect(logs[3]).toContain('back after 30 ms; refreshes served without it: 1');
});
