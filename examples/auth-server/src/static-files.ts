import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/**
 * Serves files of `dir` for GET and HEAD; `/` and any path ending in `/` map to its
 * `index.html`. Resolves to undefined when there is no such file, so the caller answers 404.
 */
export function createStaticFiles(dir: string): (request: Request) => Promise<Response | undefined> {
  const root = realpath(resolve(dir));
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    const file = await locate(await root, new URL(request.url).pathname);
    if (file === undefined) return undefined;
    const body = await readFile(file);
    const headers = {
      'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': String(body.byteLength),
      // The demo is rebuilt often: revalidate rather than serve a stale bundle.
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    };
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { headers });
  };
}

/** The real path of a regular file inside root, or undefined. Never a path outside root. */
async function locate(root: string, pathname: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  if (decoded.endsWith('/')) decoded += 'index.html';
  try {
    // realpath after the join, so neither `..` (even percent-encoded) nor a symlink escapes.
    const file = await realpath(resolve(root, `.${decoded}`));
    if (!file.startsWith(root + sep)) return undefined;
    return (await stat(file)).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}
