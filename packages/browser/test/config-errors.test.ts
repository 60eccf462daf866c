// Outside a page (no location): mistakes a server-side render or a test would make.
import { describe, expect, it } from 'vitest';
import { createBrowserSession } from '../src/create-browser-session.js';

describe('createBrowserSession outside a page', () => {
  it('refuses a relative refreshUrl at creation with ERR_CONFIG that says what to pass', () => {
    expect(() => createBrowserSession({ channel: false })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG', message: 'refreshUrl /auth/refresh: pass an absolute URL outside a page' }),
    );
  });

  it('accepts an absolute refreshUrl', () => {
    const session = createBrowserSession({ channel: false, refreshUrl: 'https://app.example.com/auth/refresh', origins: ['https://app.example.com'], lifecycle: { isOnline: () => true, subscribe: () => () => {} } });
    expect(session.getSnapshot().status).toBe('refreshing');
    session.dispose();
  });
});
