import { setTimeout as delay } from 'node:timers/promises';

/** Exponential backoff with jitter, for reconnects and re-lookups. */
export class Backoff {
  private attempt = 0;
  constructor(private readonly initialMs = 100, private readonly maxMs = 30_000) {}

  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    this.attempt++;
    return Math.round(base / 2 + Math.random() * (base / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `attempt` until it succeeds, `transient` says an error is final, or `budgetMs` has passed.
 * An aborted `signal` ends the retries at once with its reason.
 */
export async function retryTransient<T>(
  attempt: () => Promise<T>, transient: (err: unknown) => boolean, budgetMs: number, signal?: AbortSignal,
): Promise<T> {
  const deadline = Date.now() + budgetMs;
  const backoff = new Backoff(50, 2000);
  for (;;) {
    signal?.throwIfAborted();
    try {
      return await attempt();
    } catch (err) {
      if (!transient(err) || Date.now() >= deadline) throw err;
      await delay(Math.min(backoff.next(), Math.max(0, deadline - Date.now())), undefined, { signal }).catch(() => undefined);
    }
  }
}
