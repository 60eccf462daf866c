import type { DispatchController } from './create-auth-interceptor.js';

/** The controller the caller holds across attempts: it always acts on the current one. */
export class StableController implements DispatchController {
  private current: DispatchController | undefined;
  private abortedWith: Error | null = null;
  private pausedByCaller = false;

  set target(controller: DispatchController) {
    this.current = controller;
    if (this.abortedWith) controller.abort(this.abortedWith);
    else if (this.pausedByCaller) controller.pause();
  }

  abort(reason: Error): void {
    this.abortedWith = reason;
    this.current?.abort(reason);
  }

  pause(): void {
    this.pausedByCaller = true;
    this.current?.pause();
  }

  resume(): void {
    this.pausedByCaller = false;
    this.current?.resume();
  }

  get aborted(): boolean {
    return this.abortedWith !== null || this.current?.aborted === true;
  }

  get paused(): boolean {
    return this.pausedByCaller;
  }

  get reason(): Error | null {
    return this.abortedWith ?? this.current?.reason ?? null;
  }
}
