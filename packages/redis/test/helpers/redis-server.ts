// A real redis-server (Debian's) on a free loopback port, in a temp dir, with no persistence.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** The running server's process id (to freeze it with SIGSTOP). */
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM, no save); `start` brings it back on the same port, empty. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** A plain client for the test's own look at the data; closed on `close`. */
  readonly client: Redis;
  /** Every key with its value (strings, or the members of sets and sorted sets), by SCAN. */
  dump(): Promise<Map<string, string[]>>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, 'close');
  return port;
}

/** Starts redis-server and resolves once it accepts connections. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tokenward-redis-'));
  let child: ChildProcess | undefined;

  const start = async () => {
    const server = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
    child = server;
    for (let tries = 0; ; tries += 1) {
      const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => undefined);
      const pong = await probe.connect().then(() => probe.ping(), () => undefined);
      probe.disconnect();
      if (pong === 'PONG') return;
      if (tries > 100 || server.exitCode !== null) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const stop = async () => {
    const server = child;
    child = undefined;
    if (!server || server.exitCode !== null) return;
    server.kill('SIGTERM');
    await once(server, 'exit');
  };

  await start();
  const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  client.on('error', () => undefined);

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.pid;
    },
    start,
    stop,
    client,
    async dump() {
      const entries = new Map<string, string[]>();
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) {
          const type = await client.type(key);
          const values = type === 'string' ? [(await client.get(key)) ?? ''] : type === 'set' ? await client.smembers(key) : type === 'zset' ? await client.zrange(key, '0', '-1') : [type];
          entries.set(key, values);
        }
      } while (cursor !== '0');
      return entries;
    },
    async close() {
      client.disconnect();
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
