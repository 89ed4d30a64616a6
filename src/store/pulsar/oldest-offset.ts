/**
 * A queue's oldest kept offset, remembered for a while: retention moves it rarely, and each lookup costs the
 * broker a call. One lookup runs at a time however many reads ask.
 */
export class OldestOffset {
  private known?: { offset: number; at: number };
  private lookup?: Promise<number>;

  constructor(private readonly lookUp: () => Promise<number>, private readonly ttlMs = 10_000) {}

  /** The oldest offset as of at most `ttlMs` ago. */
  async current(): Promise<number> {
    const known = this.known;
    if (known && Date.now() - known.at < this.ttlMs) return known.offset;
    return this.refresh();
  }

  /**
   * The oldest offset for a read that found messages at `offset`: the last one known, refreshed behind the read
   * once stale, so a read waits on a lookup only the first time.
   */
  async before(offset: number): Promise<number> {
    const known = this.known;
    if (!known) return Math.min(await this.refresh(), offset);
    if (Date.now() - known.at >= this.ttlMs) void this.refresh().catch(() => undefined);
    return Math.min(known.offset, offset);
  }

  private refresh(): Promise<number> {
    this.lookup ??= this.lookUp().then((offset) => {
      this.known = { offset, at: Date.now() };
      return offset;
    }).finally(() => {
      this.lookup = undefined;
    });
    return this.lookup;
  }
}
