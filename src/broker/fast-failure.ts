import { BrokerError } from '../errors/broker-error.js';

export type Protocol = 'remoting' | 'grpc';

/** How often the event loop's lag is sampled: a fraction of the bound, within 5 and 50 ms. */
const sampleEvery = (maxWaitMs: number): number => Math.max(5, Math.min(50, Math.floor(maxWaitMs / 4)));

const queueKey = (topic: string, queueId: number): string => `${topic}\u0000${queueId}`;

/**
 * How long a queue's oldest append may be held in the store before sends to it are refused: Apache's
 * osPageCacheBusyTimeOutMills (its PCBUSY bound), apart from the wait for the event loop. A store's own latency
 * (a Pulsar round trip, a bookie's fsync) spikes past the 200 ms of the queue wait under ordinary load.
 */
const STORE_BUSY_MS = 1000;

/**
 * Apache RocketMQ's BrokerFastFailure in a Node process: a send or pull that would start its work later than
 * `maxWaitMs` after it arrived (Apache's waitTimeMillsInSendQueue) is answered busy at once, so that its client backs
 * off or tries another queue instead of waiting out its timeout. Node keeps no queue of requests of its own; a
 * request waits for the event loop, whose lag a timer samples (and which only the requests read in the turn after a
 * late sample have waited through), and a send also waits behind the appends of its queue
 * still in the store, the oldest of which tells how backed up that queue is (as Apache's PCBUSY watches how long its
 * commit log has been held). Until a queue has taken an append, its first ones wait for the store to open it (a
 * Pulsar producer to attach): a one-time wait, not a backlog, so it refuses nothing.
 */
export class FastFailure {
  private lagMs = 0;
  private readonly sampler: NodeJS.Timeout;
  /** per queue, the start of each of its appends in flight, oldest first */
  private readonly appending = new Map<string, Map<number, number>>();
  /** queues that have taken an append since start */
  private readonly opened = new Set<string>();
  private appendsInFlight = 0;
  private nextAppend = 0;
  private readonly refusals: Record<Protocol, number> = { remoting: 0, grpc: 0 };

  /** `storeBusyMs`: how long a queue's oldest append may be held in the store (Apache's PCBUSY bound, at least the wait's). */
  constructor(private readonly maxWaitMs: number, private readonly storeBusyMs = Math.max(STORE_BUSY_MS, maxWaitMs)) {
    const every = sampleEvery(maxWaitMs);
    let last = performance.now();
    this.sampler = setInterval(() => {
      const now = performance.now();
      this.lagMs = Math.max(0, now - last - every);
      last = now;
      // The requests that waited out the hold-up are the ones read in this turn's poll phase, right after this
      // timer; one that arrives later has not waited, so the lag stops counting once the turn reaches its checks.
      if (this.lagMs > this.maxWaitMs) setImmediate(() => (this.lagMs = 0));
    }, every);
    this.sampler.unref();
  }

  /** Refuses a send to `topic`/`queueId` that would wait past a bound: for the event loop, or behind the queue's appends held in the store. */
  admitSend(protocol: Protocol, topic: string, queueId: number): void {
    this.admit(protocol);
    const key = queueKey(topic, queueId);
    if (!this.opened.has(key)) return;
    const started = this.appending.get(key);
    const oldest = started?.values().next().value;
    if (oldest === undefined) return;
    const waited = performance.now() - oldest;
    if (waited > this.storeBusyMs) throw this.refuse(protocol, 'PCBUSY_CLEAN_QUEUE', waited, started!.size);
  }

  /** Refuses a request (a pull; a send, first) that has been waiting past the bound for the event loop. */
  admit(protocol: Protocol): void {
    if (this.lagMs > this.maxWaitMs) throw this.refuse(protocol, 'TIMEOUT_CLEAN_QUEUE', this.lagMs, this.appendsInFlight);
  }

  /** Runs one store append to `topic`/`queueId`, counted among its queue's appends in flight until it settles. */
  async track<T>(topic: string, queueId: number, append: () => Promise<T>): Promise<T> {
    const key = queueKey(topic, queueId);
    let started = this.appending.get(key);
    if (!started) this.appending.set(key, (started = new Map()));
    const id = this.nextAppend++;
    started.set(id, performance.now());
    this.appendsInFlight++;
    try {
      const result = await append();
      this.opened.add(key);
      return result;
    } finally {
      this.appendsInFlight--;
      started.delete(id);
      if (started.size === 0 && this.appending.get(key) === started) this.appending.delete(key);
    }
  }

  /** Requests answered busy since start, by protocol. */
  get refused(): Readonly<Record<Protocol, number>> {
    return this.refusals;
  }

  close(): void {
    clearInterval(this.sampler);
  }

  /** Apache's remark, word for word: operators and tools know it. */
  private refuse(protocol: Protocol, why: string, waitedMs: number, queued: number): BrokerError {
    this.refusals[protocol]++;
    return new BrokerError('busy', `[${why}]broker busy, start flow control for a while, period in queue: ${Math.round(waitedMs)}ms, size of queue: ${queued}`);
  }
}
