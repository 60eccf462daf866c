import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { RequestContext } from './create-auth-handler.js';

/** Anything with a Web-standard `handle`: an `AuthHandler`, or an app built on one. */
export interface WebHandler {
  handle(request: Request, context?: RequestContext): Promise<Response | undefined>;
}

export interface NodeHandlerOptions {
  /** `https://app.example.com`: the origin requests are seen under. Default: the Host header, https when the socket is TLS. */
  origin?: string;
}

/** `(req, res, next?)`: a node:http listener, and Express/Connect middleware. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

/**
 * Serves a Web-standard handler from node:http, Express or Connect. A request the handler does
 * not answer goes to `next()`, or gets a 404 when there is no next. Mount it before any body
 * parser: it reads the body itself, streaming, up to the handler's limit.
 *
 * @example
 * import { createServer } from 'node:http';
 * createServer(toNodeHandler(auth)).listen(3000);
 * // Express: app.use(toNodeHandler(auth));
 */
export function toNodeHandler(handler: WebHandler, options: NodeHandlerOptions = {}): NodeHandler {
  return (req, res, next) => {
    void serve(handler, options, req, res, next);
  };
}

async function serve(handler: WebHandler, options: NodeHandlerOptions, req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): Promise<void> {
  // Lets a handler notice that the client went away (a tab closed mid-refresh).
  const abort = new AbortController();
  res.once('close', () => abort.abort());
  let response: Response | undefined;
  try {
    response = await handler.handle(toRequest(options, req, abort.signal), { clientAddress: req.socket.remoteAddress });
  } catch (cause) {
    if (next) return next(cause);
    res.destroy();
    return;
  }
  if (!response) {
    if (next) return next();
    res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end('{"error":"not_found"}');
    return;
  }
  try {
    await send(res, response, req.method === 'HEAD');
  } catch {
    // The client left mid-answer, or the handler broke the stream: nothing useful to send.
    res.destroy();
  }
}

function toRequest(options: NodeHandlerOptions, req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    for (const value of values ?? []) headers.append(name, value);
  }
  const method = req.method ?? 'GET';
  const origin = options.origin ?? `${(req.socket as TLSSocket).encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
  // Appended, not resolved, so `//evil.example/x` stays a path. Express mounts rewrite req.url: originalUrl is the real one.
  const raw = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  const url = new URL(`${origin}${raw.startsWith('/') ? raw : '/'}`);
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const body = hasBody ? lazyBody(req) : null;
  return new Request(url, { method, headers, body, signal, ...(hasBody ? { duplex: 'half' } : {}) } as RequestInit);
}

/**
 * The request body as a stream that reads nothing until the handler reads it: a request the
 * handler passes on (to Express's next route and its body parser) keeps its body intact. A handler
 * that stops reading (the body limit) leaves the rest unread; the 413's `Connection: close` ends it.
 */
function lazyBody(req: IncomingMessage): ReadableStream<Uint8Array> {
  let chunks: AsyncIterator<Buffer> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        chunks ??= (req as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      },
      cancel() {
        // Not destroyed: the socket must stay up to carry the answer.
        req.pause();
      },
    },
    { highWaterMark: 0 },
  );
}

async function send(res: ServerResponse, response: Response, head: boolean): Promise<void> {
  const headers: OutgoingHttpHeaders = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  // Several cookies must stay several Set-Cookie lines, never one comma-joined header.
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  if (response.statusText) res.statusMessage = response.statusText;
  res.writeHead(response.status, headers);
  if (response.headers.get('connection') === 'close') res.shouldKeepAlive = false;
  if (!response.body || head) {
    res.end();
    return;
  }
  await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), res);
}
