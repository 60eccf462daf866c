// Runs the loopback server in a child process: on a 2-core machine it gets its own core, and the
// benchmark's own CPU time (process.cpuUsage) is then the clients' alone.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.mjs';

/** Starts the server in a child process; resolves with its URLs and a `close()`. */
export async function startServerProcess(config = {}) {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { origin } = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the server process exited (${code})`)));
  });
  return {
    origin,
    apiUrl: `${origin}/api`,
    tokenUrl: `${origin}/token`,
    close: () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill()))),
  };
}

if (process.argv[2] === '--serve' && process.send) {
  const server = await startServer(JSON.parse(process.argv[3]));
  process.send({ origin: server.origin });
  // Ends with the benchmark, however that ends.
  process.on('disconnect', () => process.exit(0));
}
