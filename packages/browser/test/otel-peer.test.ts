import { afterEach, describe, expect, it } from 'vitest';
import { instrument } from '@tokenward/core/otel';
import { createOtel } from '../../core/test/helpers/otel.js';
import { createFakeAuth, freshChannel, openTab, type Tab } from './helpers/fake-auth.js';

let tabs: Tab[] = [];
afterEach(async () => {
  await Promise.all(tabs.map((tab) => tab.close()));
  tabs = [];
});

describe('instrument across tabs', () => {
  it('counts a token a peer tab refreshed as served by a peer, with no refresh of its own', async () => {
    const auth = createFakeAuth({ ttl: 60 });
    const channel = freshChannel();
    const first = openTab(channel, auth.refresh);
    tabs.push(first);
    const token = await first.session.getAccessToken();

    const otel = createOtel();
    const late = openTab(channel, auth.refresh);
    tabs.push(late);
    const session = instrument(late.session, { tracer: otel.tracer, meter: otel.meter });
    expect(await session.getAccessToken()).toBe(token);
    await Promise.resolve();

    expect(auth.stats.requests).toBe(1);
    expect(await otel.points('tokenward.refresh.peer_served')).toMatchObject([{ value: 1 }]);
    expect(otel.spans().map((s) => [s.attributes['tokenward.refresh.reason'], s.attributes['tokenward.refresh.outcome']])).toEqual([['boot', 'peer']]);
    await otel.shutdown();
  });
});
