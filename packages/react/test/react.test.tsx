// @vitest-environment happy-dom
import { createSession, isTokenwardError } from '@tokenward/core';
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import { useEffect, useState } from 'react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SessionProvider, useAuthFetch, useSession } from '../src/index.js';
import { startAuthApi } from './helpers/auth-api.js';

let api: Awaited<ReturnType<typeof startAuthApi>>;
beforeAll(async () => {
  api = await startAuthApi();
});
afterAll(() => api.close());
afterEach(cleanup);

describe('useSession', () => {
  it('renders once per status a real session goes through, and not once more for 100 requests', async () => {
    const session = api.session();
    const renders: string[] = [];
    function Badge() {
      const { status, isAuthenticated, claims } = useSession();
      renders.push(status);
      return <p>{isAuthenticated ? `signed in as ${String(claims?.name)}` : status}</p>;
    }
    render(<SessionProvider session={session}><Badge /></SessionProvider>);
    expect(screen.getByText('unknown')).toBeTruthy();
    await act(() => session.getAccessToken());
    expect(screen.getByText('signed in as Ada')).toBeTruthy();
    expect(renders).toEqual(['unknown', 'refreshing', 'active']);
    await act(() => Promise.all(Array.from({ length: 100 }, () => session.getAccessToken())));
    expect(renders).toHaveLength(3);
    await act(async () => session.signOut());
    expect(screen.getByText('anonymous')).toBeTruthy();
    expect(renders).toEqual(['unknown', 'refreshing', 'active', 'anonymous']);
    session.dispose();
  });

  it('gives expiresAt and the error of a failed refresh, which a component can show', async () => {
    const session = createSession({
      tokens: { accessToken: api.jwt(1), expiresIn: 300 },
      refresh: () => Promise.reject(Object.assign(new Error('token endpoint down'), { status: 503 })),
    });
    function Expiry() {
      const { expiresAt, error, status } = useSession();
      return <p>{`${status} ${expiresAt === session.getSnapshot().expiresAt} ${error?.code ?? 'none'}`}</p>;
    }
    render(<SessionProvider session={session}><Expiry /></SessionProvider>);
    expect(screen.getByText('active true none')).toBeTruthy();
    await act(() => session.refresh().catch(() => {}));
    expect(screen.getByText('backoff true ERR_REFRESH_FAILED')).toBeTruthy();
    session.dispose();
  });

  it('throws ERR_CONFIG naming the missing provider', () => {
    function Orphan() {
      useSession();
      return null;
    }
    const onError = (event: ErrorEvent) => event.preventDefault();
    window.addEventListener('error', onError);
    let thrown: unknown;
    try {
      render(<Orphan />);
    } catch (error) {
      thrown = error;
    } finally {
      window.removeEventListener('error', onError);
    }
    expect(isTokenwardError(thrown) && thrown.code).toBe('ERR_CONFIG');
    expect((thrown as Error).message).toBe('useSession() needs a <SessionProvider session={...}> above it');
  });
});

describe('useAuthFetch', () => {
  it('makes exactly 1 refresh call for 20 components that meet a 401 at once, and all of them get their data', async () => {
    const session = api.session({ stale: true });
    const before = api.state.refreshCalls;
    function Profile({ id }: { id: number }) {
      const authFetch = useAuthFetch({ origins: [api.url] });
      const [name, setName] = useState<string>();
      useEffect(() => {
        void authFetch(`${api.url}/me?${id}`).then((r) => r.json()).then((body: { name?: string }) => setName(body.name ?? 'refused'));
      }, [authFetch]);
      return <li>{name ?? 'loading'}</li>;
    }
    render(<SessionProvider session={session}><ul>{Array.from({ length: 20 }, (_, id) => <Profile key={id} id={id} />)}</ul></SessionProvider>);
    await waitFor(() => expect(screen.queryAllByText('Ada Lovelace')).toHaveLength(20));
    expect(api.state.refreshCalls - before).toBe(1);
    session.dispose();
  });

  it('returns the same function across renders, so effects that depend on it run once', async () => {
    const session = api.session();
    const seen = new Set<typeof fetch>();
    function Probe({ tick }: { tick: number }) {
      seen.add(useAuthFetch({ origins: [api.url] }));
      return <p>{tick}</p>;
    }
    const { rerender } = render(<SessionProvider session={session}><Probe tick={1} /></SessionProvider>);
    rerender(<SessionProvider session={session}><Probe tick={2} /></SessionProvider>);
    expect(screen.getByText('2')).toBeTruthy();
    expect(seen.size).toBe(1);
    session.dispose();
  });
});
