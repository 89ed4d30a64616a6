import type { MessageStore } from '../store/message-store.js';

interface Hold {
  wake: () => void;
}

/**
 * Long polling: a pull that found nothing waits here until its queue grows, its time runs
 * out, or the gateway stops, whichever comes first.
 */
export class PullHoldService {
  private readonly holds = new Map<string, Set<Hold>>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(store: MessageStore) {
    this.unsubscribe = store.onAppend((topic, queueId) => this.wakeQueue(topic, queueId));
  }

  /** True once the gateway is stopping. */
  get stopping(): boolean {
    return this.closed;
  }

  get heldCount(): number {
    let n = 0;
    for (const s of this.holds.values()) n += s.size;
    return n;
  }

  /**
   * Resolves when the queue grows or after `timeoutMs`. `stillEmpty` runs after the hold is
   * registered, closing the window in which an append could slip by unseen.
   */
  async wait(topic: string, queueId: number, timeoutMs: number, stillEmpty: () => Promise<boolean>): Promise<void> {
    // Once stopping, a pull answers at once: nothing would wake it, and its client would wait out its timeout.
    if (this.closed) return;
    const key = `${topic}\u0000${queueId}`;
    let set = this.holds.get(key);
    if (!set) this.holds.set(key, (set = new Set()));
    let timer: NodeJS.Timeout | undefined;
    let hold!: Hold;
    const woken = new Promise<void>((resolve) => {
      hold = { wake: resolve };
      timer = setTimeout(resolve, timeoutMs);
    });
    set.add(hold);
    try {
      if (await stillEmpty()) await woken;
    } finally {
      clearTimeout(timer);
      set.delete(hold);
      if (set.size === 0 && this.holds.get(key) === set) this.holds.delete(key);
    }
  }

  /** Releases every held pull (on shutdown), so each answers with what it has. */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    this.wakeAll();
  }

  /** Lets every held pull answer now (its queues moved to another gateway, say). */
  wakeAll(): void {
    for (const set of this.holds.values()) for (const h of set) h.wake();
  }

  private wakeQueue(topic: string, queueId: number): void {
    const set = this.holds.get(`${topic}\u0000${queueId}`);
    if (set) for (const h of set) h.wake();
  }
}
