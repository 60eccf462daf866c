// Nightly-style fuzzing: the property tests and the cross-tab simulation with a fresh seed and many
// more runs than CI's fixed seed. Prints the seed first: `FC_SEED=<seed> npm run fuzz` replays a failure.
import { spawnSync } from 'node:child_process';

const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
const runs = process.env.SIMULATION_RUNS ?? '20000';
console.log(`fuzz: FC_SEED=${seed} SIMULATION_RUNS=${runs}`);
const files = ['test/reliability/cross-tab-simulation.test.ts', 'test/reliability/fuzz-refresher.test.ts', 'packages/core/test/machine/transition.property.test.ts', 'packages/browser/test/coordinator'];
const result = spawnSync('npx', ['vitest', 'run', ...files], { stdio: 'inherit', env: { ...process.env, FC_SEED: String(seed), SIMULATION_RUNS: runs } });
console.log(`fuzz: FC_SEED=${seed} ${result.status === 0 ? 'passed' : 'FAILED'}`);
process.exit(result.status ?? 1);
