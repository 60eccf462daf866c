import type { BrowserSession } from '../../../packages/browser/src/index.js';

/** What fixtures/app.js puts on `window`. */
export interface PageEvent {
  name: 'signed-in' | 'refreshed' | 'refresh-failed' | 'session-expired' | 'signed-out';
  at: number;
  origin?: 'local' | 'peer';
  reason?: string;
  expiresAt?: number;
  terminal?: boolean;
}

declare global {
  interface Window {
    app: {
      mode: 'bearer' | 'cookie';
      session: BrowserSession;
      events: PageEvent[];
      calls: { ok: number; failed: unknown[] };
      api(path?: string): Promise<number | string>;
      login(username?: string): Promise<void>;
      startCalls(everyMs: number): void;
      stopCalls(): void;
      count(name: PageEvent['name'], origin?: 'local' | 'peer'): number;
    };
  }
}
