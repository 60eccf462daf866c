import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';

export interface ListenOptions {
  /** `0` picks a free port. */
  port: number;
  /** Default `127.0.0.1`: the demo is not meant to be reachable from the network. */
  host?: string;
}

export interface ListeningServer {
  /** `http://host:port`, without a trailing slash. */
  url: string;
  port: number;
  /** Stops listening and drops open connections, hung requests included. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;

/**
 * Serves a Web-standard handler over `node:http`: the whole Node-specific part, kept thin
 * so the handlers can move to any server.
 *
 * @example
 * ```ts
 * const { url, close } = await listen(createAuthServer(), { port: 0 });
 * ```
 */
export function listen(
  server: { handle(request: Request): Promise<Response> },
  { port, host = '127.0.0.1' }: ListenOptions,
): Promise<ListeningServer> {
  let origin = '';
  const http = createServer((req, res) => void respond(server, origin, req, res));
  return new Promise((resolve, reject) => {
    http.once('error', (cause: NodeJS.ErrnoException) => {
      reject(
        cause.code === 'EADDRINUSE'
          ? new Error(`auth-server: port ${port} on ${host} is already in use`, { cause })
          : cause,
      );
    });
    http.listen(port, host, () => {
      const actual = (http.address() as AddressInfo).port;
      origin = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
      const close = () =>
        new Promise<void>((done, fail) => {
          http.close((cause) => (cause ? fail(cause) : done()));
          http.closeAllConnections();
        });
      resolve({ url: origin, port: actual, close });
    });
  });
}

async function respond(
  server: { handle(request: Request): Promise<Response> },
  origin: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  // Lets a handler (or a hanging fault) notice that the client went away.
  const abort = new AbortController();
  res.once('close', () => abort.abort());
  try {
    const request = await toRequest(origin, req, abort.signal);
    const response = request ? await server.handle(request) : Response.json({ error: 'payload_too_large' }, { status: 413 });
    await send(res, response, req.method === 'HEAD');
  } catch {
    // The client left mid-answer, or the handler broke the stream: nothing useful to send.
    res.destroy();
  }
}

/** The request as a Web Request, or undefined when its body is too large to read. */
async function toRequest(origin: string, req: IncomingMessage, signal: AbortSignal): Promise<Request | undefined> {
  const headers = new Headers();
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    for (const value of values ?? []) headers.append(name, value);
  }
  const method = req.method ?? 'GET';
  let body: Uint8Array<ArrayBuffer> | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) return undefined;
      chunks.push(chunk);
    }
    body = new Uint8Array(Buffer.concat(chunks));
  }
  // Our own origin, never the Host header: a forged Host must not change what a handler sees.
  // The path is appended (not resolved) so `//evil.example/x` stays a path.
  const path = req.url?.startsWith('/') ? req.url : '/';
  return new Request(`${origin}${path}`, { method, headers, body: body ?? null, signal });
}

async function send(res: ServerResponse, response: Response, head: boolean): Promise<void> {
  const headers: OutgoingHttpHeaders = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  // Several cookies must stay several Set-Cookie lines, never one comma-joined header.
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  // An empty statusText would send a bare "HTTP/1.1 200 "; Node fills in the standard phrase.
  if (response.statusText) res.statusMessage = response.statusText;
  res.writeHead(response.status, headers);
  if (!response.body || head) {
    res.end();
    return;
  }
  await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), res);
}
