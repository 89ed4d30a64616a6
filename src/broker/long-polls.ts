import type { MessageStore } from '../store/message-store.js';

/** A pull waits for one queue; a pop for any queue of its topic. Topic names never hold NUL, so keys cannot clash. */
const queueKey = (topic: string, queueId: number): string => `q\u0000${topic}\u0000${queueId}`;
const topicKey = (topic: string): string => `t\u0000${topic}`;

/**
 * Where a broker's long polls wait: a remoting pull under its queue, a gRPC receive (a pop) under its topic. One
 * store subscription wakes the keys an append touches, so many held requests cost one listener, not one each (the
 * shape of Kafka's delayed-operation purgatory). A wait ends when its key is woken, its time is up, its call is
 * cancelled, or the broker lets go of its polls.
 */
export class LongPolls {
  private readonly waiting = new Map<string, Set<() => void>>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(store: MessageStore) {
    this.unsubscribe = store.onAppend((topic, queueId) => {
      this.wake(queueKey(topic, queueId));
      this.wake(topicKey(topic));
    });
  }

  /** True once the broker is stopping: a poll then answers at once, as nothing would wake it. */
  get stopping(): boolean {
    return this.closed;
  }

  /** Pulls held now (the rop_held_pulls gauge). */
  get heldPulls(): number {
    let n = 0;
    for (const [key, set] of this.waiting) if (key.startsWith('q')) n += set.size;
    return n;
  }

  /**
   * Resolves when the queue grows or after `timeoutMs`. `stillEmpty` runs once the wait is registered, closing the
   * window in which an append could slip by unseen.
   */
  async untilQueueGrows(topic: string, queueId: number, timeoutMs: number, stillEmpty: () => Promise<boolean>): Promise<void> {
    if (this.closed) return;
    const wait = this.park(queueKey(topic, queueId), timeoutMs);
    try {
      if (await stillEmpty()) await wait.woken;
    } finally {
      wait.leave();
    }
  }

  /** Resolves when a message arrives in `topic`, `wakeTopic(topic)` is called, `timeoutMs` passes or `signal` aborts. */
  async untilTopicChanges(topic: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.closed || signal.aborted) return;
    const wait = this.park(topicKey(topic), timeoutMs);
    const abort = (): void => wait.leave();
    signal.addEventListener('abort', abort);
    try {
      await wait.woken;
    } finally {
      signal.removeEventListener('abort', abort);
      wait.leave();
    }
  }

  /** Wakes the topic's waits: something other than an append changed what they would find (an ack, a reset). */
  wakeTopic(topic: string): void {
    this.wake(topicKey(topic));
  }

  /** Lets every poll answer now (its queues moved to another gateway, say). */
  wakeAll(): void {
    for (const set of this.waiting.values()) for (const wake of set) wake();
  }

  /** Releases every poll (on shutdown), so each answers with what it has. */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    this.wakeAll();
  }

  private wake(key: string): void {
    for (const wake of this.waiting.get(key) ?? []) wake();
  }

  /** Registers a wait under `key`; `leave` ends it (resolving `woken`) and forgets it, and may be called again. */
  private park(key: string, timeoutMs: number): { woken: Promise<void>; leave(): void } {
    let set = this.waiting.get(key);
    if (!set) this.waiting.set(key, (set = new Set()));
    const waits = set;
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const timer = setTimeout(wake, Math.max(0, timeoutMs));
    waits.add(wake);
    return {
      woken,
      leave: () => {
        clearTimeout(timer);
        wake();
        waits.delete(wake);
        if (waits.size === 0 && this.waiting.get(key) === waits) this.waiting.delete(key);
      },
    };
  }
}
