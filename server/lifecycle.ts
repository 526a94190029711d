// Tracks in-flight invocations so a SIGTERM can stop new work, let running work finish within a
// grace period, and only then close the process (SageMaker sends SIGKILL 30 s after SIGTERM).

export interface DrainOutcome {
  /** True when every in-flight invocation ended within the grace period. */
  readonly finished: boolean;
  /** Invocations still running when the grace period ran out. */
  readonly abandoned: number;
}

export class Lifecycle {
  private readonly inflight = new Set<Promise<unknown>>();
  private stopping = false;

  get draining(): boolean {
    return this.stopping;
  }

  get active(): number {
    return this.inflight.size;
  }

  /** Counts `work` as in flight until it settles; returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.inflight.add(settled);
    void settled.then(() => this.inflight.delete(settled));
    return work;
  }

  /** Refuses new work from now on and waits up to `graceMs` for the running work. */
  async drain(graceMs: number): Promise<DrainOutcome> {
    this.stopping = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), graceMs);
    });
    const allDone = (async () => {
      while (this.inflight.size > 0) await Promise.all([...this.inflight]);
      return "done" as const;
    })();
    const outcome = await Promise.race([allDone, timeout]);
    clearTimeout(timer);
    return { finished: outcome === "done", abandoned: outcome === "done" ? 0 : this.inflight.size };
  }
}
