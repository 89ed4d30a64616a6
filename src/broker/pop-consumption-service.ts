import { randomUUID } from 'node:crypto';
import { restoredMessage, type StoredMessage } from '../store/message-store.js';
import { Prop } from '../protocol/message-properties.js';
import { BrokerError } from '../errors/broker-error.js';
import type { Subscription } from '../protocol/subscription.js';
import { DLQ_PREFIX, type BrokerContext } from './broker-context.js';
import type { LongPolls } from './long-polls.js';

/** A message handed out by a pop, invisible to other pops until its deadline or its ack. */
export interface PoppedMessage {
  message: StoredMessage;
  /** 1 on the first delivery */
  deliveryAttempt: number;
  receiptHandle: string;
}

export interface PopRequest {
  group: string;
  topic: string;
  subscription: Subscription;
  maxMessages: number;
  invisibleMs: number;
  /** how long to wait for a message when none is ready */
  waitMs: number;
  /** deliveries after which a message goes to the group's dead-letter topic instead */
  maxDeliveryAttempts: number;
  /**
   * A FIFO group: a queue hands out nothing more while a message of it is in flight, so that its messages
   * are consumed one after the other, in order.
   */
  orderly: boolean;
  /**
   * For auto-renewed pops: while this holds (the consumer is still connected), a message's invisible time is
   * renewed when it runs out instead of the message being handed out again, up to MAX_RENEW_MS after the pop.
   */
  renewWhile?: () => boolean;
}

interface InFlight {
  deadline: number;
  attempts: number;
  token: string;
  poppedAt: number;
  /** the invisible time of the pop that handed it out, which a renewal grants again */
  invisibleMs: number;
  renewWhile?: () => boolean;
}

/** One queue as one group pops it. */
interface QueuePop {
  /** every offset below is acked (or filtered out); it is the group's committed offset */
  floor: number;
  /** the next offset never handed out */
  next: number;
  inFlight: Map<number, InFlight>;
  /** acked offsets at or above the floor */
  done: Set<number>;
  /** a FIFO queue's deliveries of each offset of its last batch, acked ones included (read again on a rewind) */
  attempts: Map<number, number>;
  /** the floor as last committed to the store */
  committed: number;
}

interface InFlightAt {
  queueId: number;
  offset: number;
  state: QueuePop;
  entry: InFlight;
}

const HANDLE_VERSION = 'r1';
/** Messages a queue may hand out past its oldest unacked one (a 4.x push consumer's consumeConcurrentlyMaxSpan is 2,000). */
const DEFAULT_MAX_SPAN = 20_000;
/** How long an auto-renewed message may stay invisible in all (Apache's proxy also stops renewing after 3 h). */
const MAX_RENEW_MS = 3 * 3600_000;

/** Renews an auto-renewed message whose deadline came while its consumer is still there; false for any other. */
function renewed(entry: InFlight, now: number): boolean {
  if (!entry.renewWhile?.() || now - entry.poppedAt >= MAX_RENEW_MS) return false;
  entry.deadline = now + entry.invisibleMs;
  return true;
}

/**
 * Pop-style consumption for RocketMQ 5 consumers: a pop hands out messages and hides them for an invisible
 * duration; an ack removes one for good; one not acked in time is handed out again with its attempt count
 * raised, and past the group's maximum goes to `%DLQ%group`. What a group has acked is kept as its committed
 * offset, the lowest offset not yet acked, so 4.x tools read its lag as they read any group's. Which messages
 * are in flight is kept in memory: after a restart they are handed out again from the committed offset
 * (at least once).
 */
export class PopConsumptionService {
  private readonly queues = new Map<string, QueuePop>();
  /** pops of one group and topic run one at a time, so that two never hand out the same offsets */
  private readonly popping = new Map<string, Promise<unknown>>();

  /**
   * @param maxSpan how far past a queue's oldest unacked message pops may hand out new ones: what is acked above
   * it is remembered until it acks, so a message held long (renewed for hours) must not let that grow without end
   */
  constructor(private readonly ctx: BrokerContext, private readonly polls: LongPolls, private readonly maxSpan = DEFAULT_MAX_SPAN) {}

  async pop(req: PopRequest, signal: AbortSignal): Promise<PoppedMessage[]> {
    const deadline = Date.now() + req.waitMs;
    for (;;) {
      const found = await this.serially(popKey(req.group, req.topic), () => this.popReady(req));
      if (found.length > 0 || Date.now() >= deadline || signal.aborted) return found;
      await this.waitForWork(req.topic, deadline, signal);
    }
  }

  /** Acks a popped message; a handle from an earlier pop of it (since handed out again) is refused. */
  async ack(group: string, topic: string, receiptHandle: string): Promise<void> {
    const { queueId, offset, state } = this.inFlight(group, topic, receiptHandle);
    const floor = state.floor;
    settle(state, offset);
    await this.advanceFloor(group, topic, queueId, state);
    // The queue may have held messages back for this ack: a FIFO queue's next one, or new ones past the span.
    if (state.inFlight.size === 0 || state.floor !== floor) this.wake(topic);
  }

  /**
   * A consumer gives up on a popped message (a FIFO consumer past its attempts): it goes to the group's
   * dead-letter topic now, and counts as consumed.
   */
  async forwardToDeadLetters(group: string, topic: string, receiptHandle: string): Promise<void> {
    const { queueId, offset, state, entry } = this.inFlight(group, topic, receiptHandle);
    const message = await this.readOne(topic, queueId, offset);
    if (message) await this.toDeadLetters(group, message, entry.attempts);
    state.attempts.delete(offset);
    settle(state, offset);
    await this.advanceFloor(group, topic, queueId, state);
    this.wake(topic);
  }

  /** Moves a popped message's deadline (renewing stops: the consumer now decides); answers the handle that now stands for it. */
  changeInvisibleDuration(group: string, topic: string, receiptHandle: string, invisibleMs: number): string {
    const { queueId, offset, entry } = this.inFlight(group, topic, receiptHandle);
    entry.deadline = Date.now() + invisibleMs;
    entry.renewWhile = undefined;
    entry.token = randomUUID();
    // A pop already waiting planned for the old deadline; a nack (a short duration) must not wait that out.
    this.wake(topic);
    return handleOf(queueId, offset, entry.token);
  }

  /**
   * Messages popped for a receive whose client was gone before they could be written: visible again at once, and
   * the delivery that never happened does not count as an attempt.
   */
  release(group: string, topic: string, popped: PoppedMessage[]): void {
    for (const p of popped) {
      const found = this.lookup(group, topic, p.receiptHandle);
      if (!found) continue;
      const { entry, state, offset } = found;
      entry.deadline = 0;
      entry.attempts--;
      if (state.attempts.has(offset)) state.attempts.set(offset, entry.attempts);
      entry.renewWhile = undefined;
      entry.token = randomUUID();
    }
    this.wake(topic);
  }

  /**
   * Drops what pops of the group hold of the topic (an operator moved its offsets): the next pop starts from the
   * committed offsets, and receipt handles given out before are refused.
   */
  async forget(group: string, topic: string): Promise<void> {
    // In line with the group's pops, so that none in progress commits its old position over the new one.
    const key = popKey(group, topic);
    await this.serially(key, async () => {
      for (const k of [...this.queues.keys()]) if (k.startsWith(`${key}\u0000`)) this.queues.delete(k);
    });
    this.wake(topic);
  }

  /**
   * Drops every pop's in-flight state (its slot moved to another gateway): the owner starts from the committed
   * offsets. Waiting pops are woken by the broker, which lets go of all its polls at once.
   */
  forgetAll(): void {
    this.queues.clear();
  }

  /** Wakes the topic's waiting pops: a message of it falls due sooner than they planned for, or is free again. */
  private wake(topic: string): void {
    this.polls.wakeTopic(topic);
  }

  private serially<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.popping.get(key) ?? Promise.resolve();
    const run = previous.then(work, work);
    const settled = run.catch(() => undefined);
    this.popping.set(key, settled);
    void settled.then(() => {
      if (this.popping.get(key) === settled) this.popping.delete(key);
    });
    return run;
  }

  /** The in-flight message a receipt handle stands for, if the handle is still its current one. */
  private lookup(group: string, topic: string, receiptHandle: string): InFlightAt | undefined {
    const parsed = parseHandle(receiptHandle);
    const state = this.queues.get(stateKey(group, topic, parsed.queueId));
    const entry = state?.inFlight.get(parsed.offset);
    return state && entry && entry.token === parsed.token ? { queueId: parsed.queueId, offset: parsed.offset, state, entry } : undefined;
  }

  /**
   * As Apache's proxy: a handle whose invisible time ran out is expired, even before the message is handed out
   * again (an auto-renewed message's has not run out while its consumer is there).
   */
  private inFlight(group: string, topic: string, receiptHandle: string): InFlightAt {
    const found = this.lookup(group, topic, receiptHandle);
    if (!found) {
      throw new BrokerError('invalid-receipt-handle', `receipt handle ${receiptHandle} is not the current one of a message of ${topic} popped by ${group}: it was acked, or handed out again after its invisible time`);
    }
    const now = Date.now();
    if (found.entry.deadline <= now && !renewed(found.entry, now)) {
      throw new BrokerError('invalid-receipt-handle', `receipt handle ${receiptHandle} is expired: its invisible time ran out ${now - found.entry.deadline} ms ago`);
    }
    return found;
  }

  private async popReady(req: PopRequest): Promise<PoppedMessage[]> {
    const topic = this.ctx.existingTopic(req.topic);
    const out: PoppedMessage[] = [];
    const now = Date.now();
    const start = Math.floor(Math.random() * topic.readQueueNums);
    for (let i = 0; i < topic.readQueueNums && out.length < req.maxMessages; i++) {
      const queueId = (start + i) % topic.readQueueNums;
      const state = await this.state(req.group, req.topic, queueId);
      if (req.orderly) {
        if (!(await this.rewindOrderly(req, queueId, state, now))) continue;
      } else await this.popExpired(req, queueId, state, now, out);
      while (out.length < req.maxMessages && state.next - state.floor < this.maxSpan) {
        const r = await this.ctx.store.read(req.topic, queueId, state.next, Math.min(req.maxMessages - out.length, this.maxSpan - (state.next - state.floor)), this.ctx.settings.maxPullBytes);
        if (r.status === 'OFFSET_TOO_SMALL') {
          // Retention removed what was never handed out. With nothing outstanding below, the floor jumps with it
          // (retention may have removed millions); otherwise the gap waits in `done` for the floor to reach it.
          if (state.floor === state.next) state.floor = r.nextOffset;
          else for (let o = state.next; o < r.nextOffset; o++) state.done.add(o);
          state.next = r.nextOffset;
          continue;
        }
        if (r.messages.length === 0) break;
        for (const message of r.messages) {
          const offset = message.queueOffset;
          state.next = offset + 1;
          // Dead-lettered since a FIFO rewind read past it.
          if (state.done.has(offset)) continue;
          if (!req.subscription.matches(message.properties)) {
            state.done.add(offset);
            continue;
          }
          const attempts = (state.attempts.get(offset) ?? 0) + 1;
          if (req.orderly) state.attempts.set(offset, attempts);
          const token = randomUUID();
          state.inFlight.set(offset, { deadline: now + req.invisibleMs, attempts, token, poppedAt: now, invisibleMs: req.invisibleMs, renewWhile: req.renewWhile });
          out.push({ message, deliveryAttempt: attempts, receiptHandle: handleOf(queueId, offset, token) });
        }
      }
      await this.advanceFloor(req.group, req.topic, queueId, state);
    }
    return out;
  }

  /** A queue's messages whose invisible time ran out, handed out again (or dead-lettered past the attempts). */
  private async popExpired(req: PopRequest, queueId: number, state: QueuePop, now: number, out: PoppedMessage[]): Promise<void> {
    const expired = [...state.inFlight].filter(([, e]) => e.deadline <= now).map(([offset]) => offset).sort((a, b) => a - b);
    for (const offset of expired) {
        if (out.length >= req.maxMessages) break;
        const entry = state.inFlight.get(offset)!;
        if (renewed(entry, now)) continue;
        const message = await this.readOne(req.topic, queueId, offset);
        if (!message) {
          // Retention removed it meanwhile: nothing left to deliver.
          settle(state, offset);
          continue;
        }
        if (entry.attempts >= req.maxDeliveryAttempts) {
          await this.toDeadLetters(req.group, message, entry.attempts);
          settle(state, offset);
          continue;
        }
        entry.attempts++;
        entry.deadline = now + req.invisibleMs;
        entry.poppedAt = now;
        entry.invisibleMs = req.invisibleMs;
        entry.renewWhile = req.renewWhile;
        entry.token = randomUUID();
        out.push({ message, deliveryAttempt: entry.attempts, receiptHandle: handleOf(queueId, offset, entry.token) });
      }
  }

  /**
   * A FIFO queue as Apache's broker serves it (ConsumerOrderInfoManager): nothing while a message of its last
   * batch is invisible; once all are due, it is read again from the first unacked message, the acked ones after
   * it included, each with its attempt raised. False while the queue must wait.
   */
  private async rewindOrderly(req: PopRequest, queueId: number, state: QueuePop, now: number): Promise<boolean> {
    if (state.inFlight.size === 0) return true;
    let waiting = false;
    for (const entry of state.inFlight.values()) if (entry.deadline > now || renewed(entry, now)) waiting = true;
    if (waiting) return false;
    for (const [offset, entry] of [...state.inFlight]) {
      state.inFlight.delete(offset);
      if (entry.attempts < req.maxDeliveryAttempts) continue;
      const message = await this.readOne(req.topic, queueId, offset);
      if (message) await this.toDeadLetters(req.group, message, entry.attempts);
      state.attempts.delete(offset);
      state.done.add(offset);
    }
    for (const offset of state.attempts.keys()) state.done.delete(offset);
    await this.advanceFloor(req.group, req.topic, queueId, state);
    state.next = state.floor;
    return true;
  }

  /** Until a message arrives in the topic, an invisible one falls due, the deadline passes or the call ends. */
  private waitForWork(topic: string, deadline: number, signal: AbortSignal): Promise<void> {
    let dueAt = deadline;
    for (const [key, state] of this.queues) {
      if (!key.includes(`\u0000${topic}\u0000`)) continue;
      for (const e of state.inFlight.values()) dueAt = Math.min(dueAt, e.deadline);
    }
    return this.polls.untilTopicChanges(topic, dueAt - Date.now(), signal);
  }

  private async state(group: string, topic: string, queueId: number): Promise<QueuePop> {
    const key = stateKey(group, topic, queueId);
    let state = this.queues.get(key);
    if (!state) {
      // A new group starts where a new 4.x group does: at the start while the queue still holds its first message.
      const committed = await this.ctx.store.committedOffset(group, topic, queueId);
      const start = committed ?? ((await this.ctx.store.minOffset(topic, queueId)) === 0 ? 0 : await this.ctx.store.maxOffset(topic, queueId));
      state = this.queues.get(key) ?? { floor: start, next: start, inFlight: new Map(), done: new Set(), attempts: new Map(), committed: start };
      this.queues.set(key, state);
    }
    return state;
  }

  private async advanceFloor(group: string, topic: string, queueId: number, state: QueuePop): Promise<void> {
    while (state.floor < state.next && state.done.delete(state.floor)) state.attempts.delete(state.floor++);
    if (state.floor === state.committed) return;
    state.committed = state.floor;
    await this.ctx.store.commitOffset(group, topic, queueId, state.floor);
  }

  private async readOne(topic: string, queueId: number, offset: number): Promise<StoredMessage | undefined> {
    const r = await this.ctx.store.read(topic, queueId, offset, 1, this.ctx.settings.maxPullBytes);
    return r.messages[0]?.queueOffset === offset ? r.messages[0] : undefined;
  }

  private async toDeadLetters(group: string, message: StoredMessage, attempts: number): Promise<void> {
    const topic = DLQ_PREFIX + group;
    const properties = new Map(message.properties);
    if (!properties.has(Prop.RETRY_TOPIC)) properties.set(Prop.RETRY_TOPIC, message.topic);
    properties.set(Prop.ORIGIN_MESSAGE_ID, properties.get(Prop.UNIQ_KEY) ?? String(message.locator));
    await this.ctx.topicOrCreate(topic, 1);
    await this.ctx.relayMessages(topic, 0, [restoredMessage(message, { properties, reconsumeTimes: attempts, preparedTransactionOffset: 0n })]);
    this.ctx.log.info({ group, topic: message.topic, msgId: properties.get(Prop.UNIQ_KEY), attempts }, 'message moved to the dead-letter topic');
  }
}

/** Pops of a group and topic run one at a time under this key; `stateKey` of each of its queues starts with it. */
const popKey = (group: string, topic: string): string => `${group}\u0000${topic}`;
const stateKey = (group: string, topic: string, queueId: number): string => `${popKey(group, topic)}\u0000${queueId}`;

/** A popped message is done with: acked, dead-lettered, or gone with retention. */
function settle(state: QueuePop, offset: number): void {
  state.inFlight.delete(offset);
  state.done.add(offset);
}

const handleOf = (queueId: number, offset: number, token: string): string => `${HANDLE_VERSION}:${queueId}:${offset}:${token}`;

function parseHandle(handle: string): { queueId: number; offset: number; token: string } {
  const m = new RegExp(`^${HANDLE_VERSION}:(\\d+):(\\d+):([0-9a-f-]{36})$`).exec(handle);
  if (!m) throw new BrokerError('invalid-receipt-handle', `receipt handle ${JSON.stringify(handle)} is malformed`);
  return { queueId: Number(m[1]), offset: Number(m[2]), token: m[3]! };
}
