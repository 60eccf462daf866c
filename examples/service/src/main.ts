// `npm start -w @tokenward/example-service`: the service-to-service demo alone. Ctrl-C stops it.
import { startServiceDemo } from './start-service-demo.js';

const demo = await startServiceDemo({
  tokenTtlSeconds: Number(process.env.TOKEN_TTL || 10),
  outageEvery: Number(process.env.OUTAGE_EVERY ?? 4),
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void demo.stop().then(() => process.exit(0));
  });
}
