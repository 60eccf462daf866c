// Runs the loopback server on its own thread (its own core on a 2-core machine), so that throughput
// measures the clients, not the server competing with them for one event loop.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { startServer } from './server.mjs';

/** Starts the server in a worker thread; resolves with its URLs and a `close()`. */
export async function startServerThread(config = {}) {
  const worker = new Worker(new URL(import.meta.url), { workerData: config });
  const { origin } = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { origin, apiUrl: `${origin}/api`, tokenUrl: `${origin}/token`, close: () => worker.terminate() };
}

if (!isMainThread && parentPort) {
  const server = await startServer(workerData);
  parentPort.postMessage({ origin: server.origin });
}
