import type { Logger } from '../logger.js';
import { restoredMessage, type MessageStore, type NewMessage, type StoredMessage } from '../store/message-store.js';
import { Prop } from '../protocol/message-properties.js';
import { ensureTopic, SCHEDULE_TOPIC } from './system-topics.js';
import { levelFor } from './delay-levels.js';

/** The consumer group under which each level's delivery progress is committed. */
const SCHEDULE_GROUP = '%SCHEDULE%';
const READ_BATCH = 64;
const RETRY_AFTER_ERROR_MS = 1000;
const IDLE_CHECK_MS = 1000;

/** Puts a due message where it was headed, as it is: it must not be held back again. */
export type Deliver = (topic: string, queueId: number, message: NewMessage) => Promise<void>;

/**
 * When a timed message is due (epoch ms): TIMER_OUT_MS, or TIMER_DELIVER_MS for one a gateway before TIMER_OUT_MS
 * scheduled; 0 for a message with a delay level.
 */
const dueAt = (properties: ReadonlyMap<string, string>): number =>
  Number(properties.get(Prop.TIMER_OUT_MS) ?? properties.get(Prop.TIMER_DELIVER_MS) ?? 0);

/**
 * Delivers delayed messages when due. Every message of one level waits the same time, so a level's queue
 * is ordered by due time and one cursor per level (its committed offset) is the whole index: pending
 * messages cost nothing in memory, however many, and survive restarts with the store. A message with a
 * delivery time of its own travels through the levels like a hierarchical timing wheel: a handful of hops,
 * each the longest level that does not overshoot, and the last fraction of a level waited out in memory.
 */
export class ScheduledDeliveryService {
  private stopped = false;
  private readonly wakers = new Map<number, () => void>();
  private loops: Promise<void>[] = [];
  private unsubscribe?: () => void;
  /** The shortest level: a timed message closer to its time than this waits in memory. */
  private readonly shortestMs: number;

  constructor(
    private readonly store: MessageStore,
    private readonly levelsMs: number[],
    private readonly deliver: Deliver,
    private readonly log: Logger,
  ) {
    this.shortestMs = Math.min(...levelsMs);
  }

  /** Starts, or starts again after `stop` (a slot this gateway owns once more), from the committed cursors. */
  async start(): Promise<void> {
    this.stopped = false;
    await ensureTopic(this.store, SCHEDULE_TOPIC, this.levelsMs.length);
    this.unsubscribe = this.store.onAppend((topic, queueId) => {
      if (topic === SCHEDULE_TOPIC) this.wakers.get(queueId)?.();
    });
    this.loops = this.levelsMs.map((_, queueId) => this.runLevel(queueId));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    for (const wake of this.wakers.values()) wake();
    await Promise.all(this.loops);
  }

  private async runLevel(queueId: number): Promise<void> {
    const delayMs = this.levelsMs[queueId]!;
    // Offsets of this level's messages waiting out their last fraction of a level in memory.
    const finishing = new Set<number>();
    const waits: Promise<void>[] = [];
    let offset = (await this.store.committedOffset(SCHEDULE_GROUP, SCHEDULE_TOPIC, queueId)) ?? 0;
    const commit = (): Promise<void> =>
      this.store.commitOffset(SCHEDULE_GROUP, SCHEDULE_TOPIC, queueId, Math.min(offset, ...finishing));
    while (!this.stopped) {
      try {
        const r = await this.store.read(SCHEDULE_TOPIC, queueId, offset, READ_BATCH, 4 * 1024 * 1024);
        if (r.status === 'OFFSET_TOO_SMALL') {
          offset = r.nextOffset;
          continue;
        }
        // Progress past the end: the queue was lost and begun again, so all it holds now is still to deliver (a
        // consumer's pull is moved to the end instead, as Apache moves it).
        if (r.status === 'OFFSET_OVERFLOW_BADLY') {
          offset = r.minOffset;
          continue;
        }
        if (r.messages.length === 0) {
          await this.pause(queueId, IDLE_CHECK_MS);
          continue;
        }
        const now = Date.now();
        const firstNotDue = r.messages.findIndex((m) => m.storeTimestamp + delayMs > now);
        const due = firstNotDue < 0 ? r.messages : r.messages.slice(0, firstNotDue);
        if (due.length === 0) {
          await this.pause(queueId, r.messages[0]!.storeTimestamp + delayMs - now);
          continue;
        }
        await Promise.all(due.map((m) => {
          const remaining = dueAt(m.properties) - now;
          if (remaining <= 0 || remaining >= this.shortestMs) return this.deliverDue(m);
          // Less than the shortest level to go: wait here rather than a whole level more. The committed
          // offset stays below it until it is delivered, so a crash meanwhile loses nothing.
          finishing.add(m.queueOffset);
          waits.push(this.finishLater(m, remaining).finally(() => finishing.delete(m.queueOffset)));
          return undefined;
        }));
        offset = due[due.length - 1]!.queueOffset + 1;
        await commit();
      } catch (err) {
        if (this.stopped) break;
        this.log.warn({ err, level: queueId + 1, offset }, 'delayed delivery failed; retrying');
        await this.pause(queueId, RETRY_AFTER_ERROR_MS);
      }
    }
    // Let what is finishing in memory be delivered (less than a level away), then record it.
    await Promise.all(waits);
    await commit().catch((err) => this.log.warn({ err, level: queueId + 1 }, 'could not record delayed delivery progress'));
  }

  /** Delivers `m` in `ms`, retrying while the store refuses. */
  private async finishLater(m: StoredMessage, ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    for (;;) {
      try {
        await this.deliverDue(m);
        return;
      } catch (err) {
        this.log.warn({ err, level: m.queueId + 1, offset: m.queueOffset }, 'delayed delivery failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, RETRY_AFTER_ERROR_MS));
      }
    }
  }

  private async deliverDue(m: StoredMessage): Promise<void> {
    const topic = m.properties.get(Prop.REAL_TOPIC);
    if (!topic) {
      this.log.warn({ level: m.queueId + 1, offset: m.queueOffset }, 'delayed message without REAL_TOPIC dropped');
      return;
    }
    const message = restoredMessage(m);
    const { properties } = message;
    // A timed message hops from level to level, each the longest that does not overshoot, until it is due.
    const remaining = dueAt(properties) - Date.now();
    if (remaining >= this.shortestMs) {
      await this.store.append(SCHEDULE_TOPIC, levelFor(remaining, this.levelsMs), [message]);
      return;
    }
    if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
    // Delivered as Apache RocketMQ delivers it: with the delay level it was sent with (the Java client's
    // getDelayTimeLevel() reads it), REAL_TOPIC and REAL_QID; a timed one also with when it left the timer.
    if (properties.has(Prop.TIMER_OUT_MS)) properties.set(Prop.TIMER_DEQUEUE_MS, String(Date.now()));
    await this.deliver(topic, Number(m.properties.get(Prop.REAL_QUEUE_ID) ?? 0), message);
  }

  /** Waits `ms`, or less when the level's queue grows or the service stops. */
  private pause(queueId: number, ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(1, ms));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakers.set(queueId, () => {
        this.wakers.delete(queueId);
        done();
      });
    });
  }
}
