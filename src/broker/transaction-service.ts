import type { Logger } from '../logger.js';
import { readForward, restoredMessage, type AppendResult, type MessageStore, type NewMessage, type StoredMessage } from '../store/message-store.js';
import { SysFlag } from '../protocol/message-codec.js';
import { Prop } from '../protocol/message-properties.js';
import { ensureTopic, HALF_TOPIC, OP_TOPIC } from './system-topics.js';
/** Progress: every half message below this offset is resolved. */
const PROGRESS_GROUP = '%TRANSACTION%';

export interface TransactionSettings {
  /** How often unresolved half messages are checked (Apache's transactionCheckInterval). */
  checkIntervalMs: number;
  /** Age before a half message is first checked (Apache's transactionTimeOut). */
  timeoutMs: number;
  /** Checks before an unresolved half message is rolled back (Apache's transactionCheckMax). */
  maxChecks: number;
}

export const TransactionResolution = { UNKNOWN: 0, COMMIT: SysFlag.TRANSACTION_COMMIT, ROLLBACK: SysFlag.TRANSACTION_ROLLBACK } as const;

interface Pending {
  offset: number;
  locator: bigint;
  group: string;
  storedAt: number;
  checks: number;
  nextCheckAt: number;
}

export type PutMessages = (topic: string, queueId: number, messages: NewMessage[]) => Promise<AppendResult>;

/** A half message its producer is asked about: as it will be delivered (its own topic, the check count raised). */
export interface TransactionCheck {
  halfOffset: number;
  message: StoredMessage;
}

/** One way of reaching a producer group's live members: 4.x remoting connections, RocketMQ 5 telemetry streams. */
export interface TransactionChecker {
  /** Whether a member of `group` is reachable this way; the half message is read only when one is. */
  reaches(group: string): boolean;
  /** Sends the check to one member; false when none took it. */
  send(group: string, check: TransactionCheck): boolean;
}

/**
 * Transactional messages: a half message is kept out of sight in HALF_TOPIC until its producer commits
 * (it is then put into its topic, once) or rolls back; one left unresolved is checked back with a live
 * producer of its group, through whichever checker reaches one, up to `maxChecks` times. Every resolution is an op
 * record in OP_TOPIC, so the state survives restarts with the store.
 */
export class TransactionService {
  private readonly pending = new Map<number, Pending>();
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;
  private readonly checkers: TransactionChecker[] = [];

  constructor(
    private readonly store: MessageStore,
    private readonly settings: TransactionSettings,
    private readonly storeHost: string,
    private readonly putMessages: PutMessages,
    private readonly log: Logger,
  ) {}

  addChecker(checker: TransactionChecker): void {
    this.checkers.push(checker);
  }

  async start(): Promise<void> {
    for (const name of [HALF_TOPIC, OP_TOPIC]) await ensureTopic(this.store, name, 1);
    await this.recover();
    this.timer = setInterval(() => {
      this.checking ??= this.checkAll().catch((err) => this.log.warn({ err }, 'transaction check round failed')).finally(() => (this.checking = undefined));
    }, Math.min(this.settings.checkIntervalMs, 1000));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
  }

  /** Stores a half message bound for `topic`/`queueId`; it stays invisible until committed. */
  async prepare(topic: string, queueId: number, message: NewMessage, group: string): Promise<AppendResult> {
    this.store.ensureRoomForMessages();
    message.properties.set(Prop.REAL_TOPIC, topic);
    message.properties.set(Prop.REAL_QUEUE_ID, String(queueId));
    if (!message.properties.has(Prop.PRODUCER_GROUP)) message.properties.set(Prop.PRODUCER_GROUP, group);
    const r = await this.store.append(HALF_TOPIC, 0, [message]);
    const now = Date.now();
    this.pending.set(r.firstOffset, { offset: r.firstOffset, locator: r.locators[0]!, group, storedAt: now, checks: 0, nextCheckAt: now + this.settings.timeoutMs });
    return r;
  }

  /** END_TRANSACTION: commit puts the message into its topic, rollback drops it; unknown waits for a check. */
  async end(halfOffset: number, locator: bigint, resolution: number, fromCheck: boolean): Promise<void> {
    if (resolution !== TransactionResolution.COMMIT && resolution !== TransactionResolution.ROLLBACK) return;
    const p = this.pending.get(halfOffset) ?? [...this.pending.values()].find((x) => x.locator === locator);
    // Already resolved (a check answered after the producer's own end, say): nothing may happen twice.
    if (!p) return;
    this.pending.delete(p.offset);
    try {
      if (resolution === TransactionResolution.COMMIT) {
        const half = await this.halfMessage(p.offset);
        if (half) await this.commit(half, p.checks);
      }
      await this.recordResolved(p.offset);
    } catch (err) {
      this.pending.set(p.offset, p);
      throw err;
    }
    this.log.debug({ halfOffset: p.offset, commit: resolution === TransactionResolution.COMMIT, fromCheck }, 'transaction resolved');
  }

  /**
   * Puts a half message into its topic with the properties Apache RocketMQ's broker leaves on a committed one: all
   * the half had (REAL_TOPIC, REAL_QID, TRAN_MSG, PGROUP, WAIT included; the Java client takes TRAN_MSG as its cue
   * to give the message its transaction id) and, when it was checked back, how many times.
   */
  private async commit(half: StoredMessage, checks: number): Promise<void> {
    const topic = half.properties.get(Prop.REAL_TOPIC);
    if (!topic) throw new Error(`half message ${half.queueOffset} has no REAL_TOPIC`);
    const queueId = Number(half.properties.get(Prop.REAL_QUEUE_ID) ?? 0);
    const properties = new Map(half.properties);
    if (checks > 0) properties.set(Prop.TRANSACTION_CHECK_TIMES, String(checks));
    await this.putMessages(topic, queueId, [restoredMessage(half, {
      sysFlag: (half.sysFlag & ~SysFlag.TRANSACTION_MASK) | SysFlag.TRANSACTION_COMMIT,
      properties,
      preparedTransactionOffset: half.locator,
    })]);
  }

  private recordResolved(halfOffset: number): Promise<AppendResult> {
    return this.store.append(OP_TOPIC, 0, [{
      body: Buffer.from(String(halfOffset)), flag: 0, sysFlag: 0, properties: new Map([[Prop.TAGS, 'd']]),
      bornTimestamp: Date.now(), bornHost: this.storeHost, reconsumeTimes: 0, preparedTransactionOffset: 0n,
    }]);
  }

  private async halfMessage(offset: number): Promise<StoredMessage | undefined> {
    const r = await this.store.read(HALF_TOPIC, 0, offset, 1, 0);
    return r.messages[0]?.queueOffset === offset ? r.messages[0] : undefined;
  }

  /** Rebuilds the unresolved set: half messages from the progress mark on, minus those with an op record. */
  private async recover(): Promise<void> {
    // A slot taken over again starts from what the store says, not from what this gateway knew before.
    this.pending.clear();
    const resolved = new Set<number>();
    for await (const m of readForward(this.store, OP_TOPIC, 0, await this.store.minOffset(OP_TOPIC, 0))) resolved.add(Number(m.body.toString()));
    const from = (await this.store.committedOffset(PROGRESS_GROUP, HALF_TOPIC, 0)) ?? (await this.store.minOffset(HALF_TOPIC, 0));
    const now = Date.now();
    for await (const m of readForward(this.store, HALF_TOPIC, 0, from)) {
      if (resolved.has(m.queueOffset)) continue;
      const group = m.properties.get(Prop.PRODUCER_GROUP) ?? '';
      this.pending.set(m.queueOffset, { offset: m.queueOffset, locator: m.locator, group, storedAt: m.storeTimestamp, checks: Number(m.properties.get(Prop.TRANSACTION_CHECK_TIMES) ?? 0), nextCheckAt: now });
    }
    if (this.pending.size > 0) this.log.info({ unresolved: this.pending.size }, 'transactions recovered');
  }

  private async checkAll(): Promise<void> {
    const now = Date.now();
    for (const p of [...this.pending.values()]) {
      if (now - p.storedAt < this.settings.timeoutMs || p.nextCheckAt > now) continue;
      if (p.checks >= this.settings.maxChecks) {
        this.pending.delete(p.offset);
        await this.recordResolved(p.offset);
        this.log.warn({ halfOffset: p.offset, group: p.group, checks: p.checks }, 'transaction still unresolved after the last check: rolled back');
        continue;
      }
      p.nextCheckAt = now + this.settings.checkIntervalMs;
      const reachable = this.checkers.filter((c) => c.reaches(p.group));
      if (reachable.length === 0) continue;
      const half = await this.halfMessage(p.offset);
      if (!half) {
        this.pending.delete(p.offset);
        continue;
      }
      const properties = new Map(half.properties);
      properties.set(Prop.TRANSACTION_CHECK_TIMES, String(p.checks + 1));
      const check = { halfOffset: p.offset, message: { ...half, topic: properties.get(Prop.REAL_TOPIC) ?? half.topic, properties } };
      if (reachable.some((c) => c.send(p.group, check))) p.checks++;
    }
    await this.recordProgress();
  }

  private async recordProgress(): Promise<void> {
    let lowest = await this.store.maxOffset(HALF_TOPIC, 0);
    for (const offset of this.pending.keys()) lowest = Math.min(lowest, offset);
    await this.store.commitOffset(PROGRESS_GROUP, HALF_TOPIC, 0, lowest);
  }
}
