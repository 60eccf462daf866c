// A fleet of real Node processes (fixtures/fleet-worker.ts), each with its own Redis connection.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { WorkerCommand, WorkerReport } from '../fixtures/fleet-worker.js';

const root = fileURLToPath(new URL('../../../..', import.meta.url));
const worker = fileURLToPath(new URL('../fixtures/fleet-worker.ts', import.meta.url));

export interface Worker {
  readonly child: ChildProcess;
  /** Every log line the worker's store wrote, in order. */
  readonly logs: Extract<WorkerReport, { op: 'log' }>[];
  /** When each of its token requests was sent. */
  readonly tokenRequests: number[];
  /** Sends `command` and resolves with the worker's answer to it. */
  run<C extends Exclude<WorkerCommand, { op: 'proceed' }>>(command: C): Promise<Extract<WorkerReport, { op: C['op'] }>>;
  /** Lets its oldest held token request go (see `gated`). */
  proceed(): void;
}

export interface Fleet {
  readonly workers: Worker[];
  /** Runs `command` on every live worker at once. */
  all<C extends Exclude<WorkerCommand, { op: 'proceed' }>>(command: C): Promise<Extract<WorkerReport, { op: C['op'] }>[]>;
  close(): Promise<void>;
}

/** Forks `size` workers (tsx, for the TypeScript sources) and resolves once each is ready. */
export async function startFleet(size: number, env: Record<string, string>): Promise<Fleet> {
  const workers = await Promise.all(
    Array.from({ length: size }, async (): Promise<Worker> => {
      const child = fork(worker, { cwd: root, execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const logs: Worker['logs'] = [];
      const tokenRequests: number[] = [];
      const waiting = new Map<string, (report: WorkerReport) => void>();
      const ready = new Promise<void>((resolve) => waiting.set('ready', () => resolve()));
      child.on('message', (report: WorkerReport) => {
        if (report.op === 'log') logs.push(report);
        else if (report.op === 'token-request') tokenRequests.push(report.at);
        else waiting.get(report.op)?.(report);
      });
      await ready;
      return {
        child,
        logs,
        tokenRequests,
        proceed: () => child.send({ op: 'proceed' }),
        run: (command) =>
          new Promise((resolve) => {
            waiting.set(command.op, resolve as (report: WorkerReport) => void);
            child.send(command);
          }),
      };
    }),
  );
  const live = () => workers.filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null);
  return {
    workers,
    all: (command) => Promise.all(live().map((worker) => worker.run(command))),
    async close() {
      await Promise.all(
        live().map(async (worker) => {
          worker.child.kill('SIGTERM');
          await once(worker.child, 'exit');
        }),
      );
    },
  };
}
