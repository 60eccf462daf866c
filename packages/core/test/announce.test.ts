// What a session hands its coordinator (SECURITY.md, "Tokens from other tabs"): regression test for
// issue 11 item 3, written before the fix.
import { describe, expect, it } from 'vitest';
import { createSession } from '../src/create-session.js';
import type { Coordinator, PeerAnnouncement } from '../src/types.js';

describe('announce', () => {
  it('hands the coordinator a shared token without the refresh token and without the local id', () => {
    const announced: PeerAnnouncement[] = [];
    const coordinator: Coordinator = { refresh: (run) => run(), announce: (message) => void announced.push(message), subscribe: () => () => {} };
    const session = createSession({ refresh: async () => ({ accessToken: 'x', expiresIn: 60 }), coordinator });
    session.signIn({ accessToken: 'access', refreshToken: 'refresh-secret', expiresIn: 60, scope: 'api' });
    session.dispose();
    expect(announced).toHaveLength(1);
    const message = announced[0]!;
    expect(message.type === 'tokens' && Object.keys(message.token).sort()).toEqual(['accessToken', 'expiresAt', 'obtainedAt', 'scope', 'tokenType']);
    expect(JSON.stringify(announced)).not.toContain('refresh-secret');
  });
});
