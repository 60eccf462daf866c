import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createAuthServer, listen, type AuthServer, type AuthServerOptions, type AuthServerStats } from '../../../examples/auth-server/src/index.js';

export type Mode = 'bearer' | 'cookie';

/** What every scenario leaves behind for the last one to check: request URLs, tokens seen, page storage. */
export const evidence = {
  urls: [] as string[],
  /** Every access and refresh token the server handed out, from bodies and Set-Cookie lines. */
  secrets: new Set<string>(),
  pages: [] as PageReport[],
};

export interface PageReport {
  url: string;
  localStorage: number;
  sessionStorage: number;
  cookie: string;
  databases: string[];
  /** Event types anything added listeners for on window or document. */
  listeners: string[];
}

/** One scenario: its own server (strict reuse detection) and a fresh browser context whose pages are the tabs. */
export interface Scenario {
  server: AuthServer;
  url: string;
  context: BrowserContext;
  pages: Page[];
  stats(): Promise<AuthServerStats>;
  resetStats(): Promise<void>;
  /** Signs in through the API (the refresh cookie lands in the context's jar), as a login page would. */
  login(mode: Mode): Promise<void>;
  /** Opens `count` tabs at once and waits until each session is ready (`query`: more URL parameters). */
  open(count: number, mode: Mode, query?: string): Promise<Page[]>;
  close(): Promise<void>;
}

export async function startScenario(browser: Browser, staticDir: string, options: AuthServerOptions = {}): Promise<Scenario> {
  const server = createAuthServer({ graceMs: 0, accessTtlSeconds: 3, keyRotationMs: 0, staticDir, ...options });
  const listening = await listen(server, { port: 0 });
  const { url } = listening;
  const context = await browser.newContext();
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __listeners: string[] }).__listeners = seen;
    const add = EventTarget.prototype.addEventListener;
    EventTarget.prototype.addEventListener = function (this: EventTarget, type: string, ...rest: [never, never]) {
      if (this === window || this === document) seen.push(type);
      return add.call(this, type, ...rest);
    } as typeof add;
  });
  context.on('request', (request) => evidence.urls.push(request.url()));
  context.on('response', (response) => void collectSecrets(response));
  const pages: Page[] = [];

  const scenario: Scenario = {
    server,
    url,
    context,
    pages,
    stats: async () => server.stats(),
    resetStats: async () => server.resetStats(),
    async login(mode) {
      const response = await context.request.post(`${url}/auth/login`, { data: { username: 'demo', password: 'demo', mode } });
      if (!response.ok()) throw new Error(`login answered ${response.status()}`);
      await collectSecrets(response);
    },
    async open(count, mode, query = '') {
      const opened = await Promise.all(
        Array.from({ length: count }, async () => {
          const page = await context.newPage();
          page.on('pageerror', (error) => console.error('page error:', error));
          await page.goto(`${url}/?mode=${mode}${query}`);
          return page;
        }),
      );
      pages.push(...opened);
      await Promise.all(opened.map((page) => page.evaluate(() => window.app.session.ready())));
      return opened;
    },
    async close() {
      for (const page of pages.filter((p) => !p.isClosed())) evidence.pages.push(await inspect(page));
      await context.close();
      await listening.close();
      server.close();
    },
  };
  return scenario;
}

async function inspect(page: Page): Promise<PageReport> {
  return page.evaluate(async () => ({
    url: location.href,
    localStorage: localStorage.length,
    sessionStorage: sessionStorage.length,
    cookie: document.cookie,
    databases: (await indexedDB.databases()).map((db) => db.name ?? ''),
    listeners: (window as unknown as { __listeners: string[] }).__listeners,
  }));
}

interface AnyResponse {
  url(): string;
  headersArray(): Array<{ name: string; value: string }> | Promise<Array<{ name: string; value: string }>>;
  json(): Promise<unknown>;
}

async function collectSecrets(response: AnyResponse): Promise<void> {
  if (!new URL(response.url()).pathname.startsWith('/auth/')) return;
  try {
    for (const { name, value } of await response.headersArray()) {
      const cookie = name.toLowerCase() === 'set-cookie' && /^(tw_refresh|tw_access)=([^;]+)/.exec(value);
      if (cookie) evidence.secrets.add(cookie[2]!);
    }
    const body = (await response.json()) as { access_token?: unknown };
    if (typeof body.access_token === 'string') evidence.secrets.add(body.access_token);
  } catch {
    // No body (204), or the page went away first: nothing to collect.
  }
}

/** Polls `check` until it stops throwing, or fails with its last error. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > end) throw error;
      await sleep(everyMs);
    }
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Server faults that hold the next refresh `ms` before it rotates anything, and drop it when the
 * client went away (a tab closed), as a server should: `arm()` before the refresh to hold.
 */
export function holdNextRefresh(ms: number) {
  let armed = false;
  return {
    arm: () => void (armed = true),
    async faults(request: Request): Promise<Response | undefined> {
      if (!armed) return undefined;
      armed = false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        request.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
      return request.signal.aborted ? new Response(null, { status: 499 }) : undefined;
    },
  };
}

/** Starts a refresh in every page; `settled()` resolves with when each one had its token, once all did. */
export async function refreshEach(pages: Page[]): Promise<{ settled(withinMs: number): Promise<number[]> }> {
  await Promise.all(pages.map((page) => page.evaluate(() => void window.app.session.refresh().then(() => ((window as unknown as { done: number }).done = Date.now())))));
  return {
    settled: (withinMs) => eventually(() => Promise.all(pages.map((page) => page.evaluate(() => (window as unknown as { done?: number }).done).then((at) => at ?? Promise.reject(new Error('not yet'))))), withinMs, 20),
  };
}
