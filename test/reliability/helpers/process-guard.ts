/**
 * Counts what escapes: unhandled rejections and uncaught exceptions, from the moment `start()` is
 * called. Vitest reports them too, but only as a failed run; the counters let a test assert zero and
 * say which reasons escaped.
 */
export interface ProcessGuard {
  readonly unhandledRejections: number;
  readonly uncaughtExceptions: number;
  readonly reasons: readonly unknown[];
  /** Lets pending rejections surface (they are reported after the microtask queue drains). */
  settle(): Promise<void>;
  stop(): void;
}

export function guardProcess(): ProcessGuard {
  let unhandledRejections = 0;
  let uncaughtExceptions = 0;
  const reasons: unknown[] = [];
  const onRejection = (reason: unknown) => {
    unhandledRejections++;
    reasons.push(reason);
  };
  const onException = (error: unknown) => {
    uncaughtExceptions++;
    reasons.push(error);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    get unhandledRejections() {
      return unhandledRejections;
    },
    get uncaughtExceptions() {
      return uncaughtExceptions;
    },
    reasons,
    async settle() {
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    },
    stop() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}
