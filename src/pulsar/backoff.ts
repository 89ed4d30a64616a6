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
