import { createAuthServer, listen } from './index.js';

// `npm start`: the demo backend. PORT (default 3000), HOST and STATIC_DIR (a built SPA) are optional.
const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || '127.0.0.1';
const server = createAuthServer({ staticDir: process.env.STATIC_DIR || undefined });

try {
  const { url } = await listen(server, { port, host });
  console.log(`tokenward auth server on ${url} (accounts demo/demo and admin/admin)`);
} catch (cause) {
  console.error(cause instanceof Error ? cause.message : cause);
  server.close();
  process.exitCode = 1;
}
