import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../logger.js';
import {
  UnknownQueueError,
  topicConfigOf,
  type AppendResult,
  type CommittedOffset,
  type StoreStatus,
  type MessageStore,
  type NewMessage,
  type ReadResult,
  type StoredMessage,
  type SubscriptionGroupConfig,
  type TopicConfig,
} from '../message-store.js';
import { writeFileAtomically } from './atomic-file.js';
import { ConsumerOffsetTable } from './consumer-offset-table.js';
import { SubscriptionGroupTable } from './subscription-group-table.js';
import { QueueLog } from './queue-log.js';
import { FileHandles } from './file-handles.js';
import { DiskSpaceMonitor, FailureEpisode, diskWriteRefusal, isDiskWriteError } from './disk-space.js';
import { MAX_QUEUE_KEYS, packLocator, unpackLocator } from '../locator.js';

export interface EmbeddedStoreOptions {
  dataDir: string;
  /** `sync`: fsync before an append resolves; `async`: fsync every flushIntervalMs (a killed process loses nothing either way) */
  flush: 'async' | 'sync';
  flushIntervalMs: number;
  segmentBytes: number;
  retentionMs: number;
  retentionCheckIntervalMs: number;
  /** queue files (segment logs and indexes) open at once, whatever the number of queues */
  maxOpenFiles: number;
  /** percent of the data directory's file system above which new messages from clients are refused */
  diskMaxUsedRatio: number;
  /** how often the file system's use is measured */
  diskCheckIntervalMs: number;
}


interface TopicEntry extends TopicConfig {
  queueKeys: number[];
}

interface TopicsFile {
  nextQueueKey: number;
  topics: TopicEntry[];
}

interface OpenQueue {
  topic: string;
  queueId: number;
  key: number;
  log: QueueLog;
}

/** A complete single-node store on local disk: per-queue segmented logs, topic metadata, consumer offsets. */
export class EmbeddedStore implements MessageStore {
  private readonly topics = new Map<string, TopicEntry>();
  private readonly queues = new Map<string, OpenQueue>();
  private readonly byKey = new Map<number, OpenQueue>();
  private readonly listeners = new Set<(topic: string, queueId: number) => void>();
  private readonly flushListeners = new Set<(durationMs: number) => void>();
  private opened = false;
  private readonly offsets: ConsumerOffsetTable;
  private readonly groups: SubscriptionGroupTable;
  private readonly files: FileHandles;
  private readonly disk: DiskSpaceMonitor;
  private readonly appendFailures: FailureEpisode;
  private readonly flushFailures: FailureEpisode;
  private refusedForDisk = 0;
  private nextQueueKey = 0;
  private lastStoreTimestamp = 0;
  private flushTimer?: NodeJS.Timeout;
  private retentionTimer?: NodeJS.Timeout;
  private syncInFlight?: Promise<void>;
  private syncQueued?: Promise<void>;

  constructor(private readonly opts: EmbeddedStoreOptions, private readonly log: Logger) {
    this.offsets = new ConsumerOffsetTable(opts.dataDir);
    this.groups = new SubscriptionGroupTable(opts.dataDir);
    this.files = new FileHandles(opts.maxOpenFiles);
    this.disk = new DiskSpaceMonitor(opts.dataDir, opts.diskMaxUsedRatio, opts.diskCheckIntervalMs, log);
    this.appendFailures = new FailureEpisode(log, 'writing messages to the disk');
    this.flushFailures = new FailureEpisode(log, 'flushing the store to the disk');
  }

  private get topicsPath(): string {
    return join(this.opts.dataDir, 'topics.json');
  }

  /** Opens what is on disk, writing nothing that is right already, so that it opens on a full disk too. */
  async open(): Promise<void> {
    mkdirSync(join(this.opts.dataDir, 'queues'), { recursive: true });
    this.disk.start();
    if (existsSync(this.topicsPath)) {
      const file = JSON.parse(readFileSync(this.topicsPath, 'utf8')) as TopicsFile;
      this.nextQueueKey = file.nextQueueKey;
      for (const t of file.topics) {
        this.topics.set(t.name, t);
        t.queueKeys.forEach((k, q) => this.openQueue(t.name, q, k));
      }
    }
    this.offsets.open();
    this.groups.open();
    this.deleteExpired();
    // A failed round is reported (and counted) by flushAll, and what it left pending is retried by the next.
    this.flushTimer = setInterval(() => void this.flushAll().catch(() => undefined), this.opts.flushIntervalMs);
    this.retentionTimer = setInterval(() => this.deleteExpired(), this.opts.retentionCheckIntervalMs);
    this.flushTimer.unref();
    this.retentionTimer.unref();
    this.opened = true;
  }

  /** Flushes and closes; on a disk that refuses the flush, what was written stays in the files for recovery. */
  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    clearInterval(this.retentionTimer);
    this.disk.stop();
    this.opened = false;
    await this.flushAll().catch(() => undefined);
    for (const q of this.queues.values()) q.log.close();
    this.queues.clear();
    this.byKey.clear();
    this.offsets.close();
  }

  getTopic(name: string): TopicConfig | undefined {
    const t = this.topics.get(name);
    return t && topicConfigOf(t);
  }

  listTopics(): TopicConfig[] {
    return [...this.topics.values()].map(topicConfigOf);
  }

  async putTopic(config: TopicConfig): Promise<TopicConfig> {
    const existing = this.topics.get(config.name);
    const queueKeys = existing?.queueKeys.slice() ?? [];
    const wanted = Math.max(config.readQueueNums, config.writeQueueNums);
    for (let q = queueKeys.length; q < wanted; q++) {
      if (this.nextQueueKey >= MAX_QUEUE_KEYS) throw new Error(`the embedded store holds at most ${MAX_QUEUE_KEYS} queues`);
      queueKeys.push(this.nextQueueKey++);
    }
    const entry: TopicEntry = { ...config, queueKeys };
    const added: number[] = [];
    try {
      queueKeys.forEach((k, q) => {
        if (this.queues.has(queueName(config.name, q))) return;
        this.openQueue(config.name, q, k);
        added.push(q);
      });
      this.topics.set(config.name, entry);
      this.saveTopics();
    } catch (err) {
      // As it was (a full disk, say): a topic topics.json does not have is no topic, and its queue keys are handed out again.
      for (const q of added) this.closeQueue(config.name, q);
      if (existing) this.topics.set(config.name, existing);
      else this.topics.delete(config.name);
      this.nextQueueKey -= queueKeys.length - (existing?.queueKeys.length ?? 0);
      throw isDiskWriteError(err) ? diskWriteRefusal(err) : err;
    }
    return topicConfigOf(entry);
  }

  async deleteTopic(name: string): Promise<void> {
    const t = this.topics.get(name);
    if (!t) return;
    for (let q = 0; q < t.queueKeys.length; q++) this.closeQueue(name, q);
    // Files first: a crash before topics.json is saved leaves the topic empty, never its old messages
    // waiting for a later topic of the same name.
    rmSync(this.topicDir(name), { recursive: true, force: true });
    this.topics.delete(name);
    this.saveTopics();
    this.offsets.remove((_, topic) => topic === name);
  }

  async append(topic: string, queueId: number, messages: NewMessage[]): Promise<AppendResult> {
    const q = this.queue(topic, queueId);
    // Store times never decrease within the store, so a binary search by time stays valid.
    const storeTimestamp = Math.max(Date.now(), this.lastStoreTimestamp);
    this.lastStoreTimestamp = storeTimestamp;
    let firstOffset: number;
    try {
      const written = q.log.append(messages, storeTimestamp);
      firstOffset = written.firstOffset;
      this.disk.noteWritten(written.bytes);
    } catch (err) {
      if (!isDiskWriteError(err)) throw err;
      this.appendFailures.failed(err, { topic, queueId });
      throw this.refused(diskWriteRefusal(err));
    }
    this.appendFailures.succeeded();
    if (this.opts.flush === 'sync') {
      // Written but not durable: the client is refused, and its retry stores the message again (at least once).
      await this.syncFlush().catch((err: unknown) => {
        throw isDiskWriteError(err) ? this.refused(diskWriteRefusal(err)) : err;
      });
    }
    for (const l of this.listeners) l(topic, queueId);
    return { firstOffset, storeTimestamp, locators: messages.map((_, i) => packLocator(q.key, firstOffset + i)) };
  }

  ensureRoomForMessages(): void {
    try {
      this.disk.ensureRoom();
    } catch (err) {
      throw this.refused(err as Error);
    }
  }

  async read(topic: string, queueId: number, offset: number, maxMessages: number, maxBytes: number): Promise<ReadResult> {
    const q = this.queue(topic, queueId);
    const minOffset = q.log.minOffset;
    const maxOffset = q.log.maxOffset;
    const base = { messages: [] as StoredMessage[], minOffset, maxOffset };
    if (maxOffset === 0) return { ...base, status: 'NO_MESSAGE_IN_QUEUE', nextOffset: 0 };
    if (offset < minOffset) return { ...base, status: 'OFFSET_TOO_SMALL', nextOffset: minOffset };
    if (offset === maxOffset) return { ...base, status: 'OFFSET_OVERFLOW_ONE', nextOffset: offset };
    if (offset > maxOffset) return { ...base, status: 'OFFSET_OVERFLOW_BADLY', nextOffset: maxOffset };
    const messages = q.log.read(offset, maxMessages, maxBytes, topic, queueId, (o) => packLocator(q.key, o));
    const nextOffset = messages.length > 0 ? offset + messages.length : q.log.nextHeldOffset(offset);
    return { ...base, status: 'FOUND', messages, nextOffset };
  }

  async minOffset(topic: string, queueId: number): Promise<number> {
    return this.queue(topic, queueId).log.minOffset;
  }

  async maxOffset(topic: string, queueId: number): Promise<number> {
    return this.queue(topic, queueId).log.maxOffset;
  }

  async offsetForTimestamp(topic: string, queueId: number, timestamp: number): Promise<number> {
    return this.queue(topic, queueId).log.offsetForTimestamp(timestamp);
  }

  async earliestStoreTime(topic: string, queueId: number): Promise<number> {
    const log = this.queue(topic, queueId).log;
    return log.maxOffset > log.minOffset ? log.storeTimeAt(log.minOffset) : -1;
  }

  async lookup(locator: bigint): Promise<StoredMessage | undefined> {
    const { queueKey, offset } = unpackLocator(locator);
    const q = this.byKey.get(queueKey);
    if (!q) return undefined;
    if (offset < q.log.minOffset || offset >= q.log.maxOffset) return undefined;
    return q.log.read(offset, 1, 0, q.topic, q.queueId, () => locator)[0];
  }

  async commitOffset(group: string, topic: string, queueId: number, offset: number): Promise<void> {
    this.offsets.set(group, topic, queueId, offset);
  }

  async committedOffset(group: string, topic: string, queueId: number): Promise<number | undefined> {
    return this.offsets.get(group, topic, queueId);
  }

  status(): StoreStatus {
    let diskBytes = 0;
    for (const q of this.queues.values()) diskBytes += q.log.sizeBytes;
    return {
      kind: 'embedded', ready: this.opened, detail: this.opened ? `data in ${this.opts.dataDir}` : 'not open', diskBytes,
      disk: { openFiles: this.files.openCount, usedRatio: this.disk.usedPercent / 100, refusedForDisk: this.refusedForDisk, flushErrors: this.flushFailures.total },
    };
  }

  onFlush(listener: (durationMs: number) => void): () => void {
    this.flushListeners.add(listener);
    return () => this.flushListeners.delete(listener);
  }

  committedOffsets(): CommittedOffset[] {
    return this.offsets.entries().map(([group, topic, queueId, offset]) => ({ group, topic, queueId, offset }));
  }

  async deleteCommittedOffsets(group: string): Promise<void> {
    this.offsets.remove((g) => g === group);
  }

  getSubscriptionGroup(name: string): SubscriptionGroupConfig | undefined {
    return this.groups.get(name);
  }

  listSubscriptionGroups(): SubscriptionGroupConfig[] {
    return this.groups.list();
  }

  async putSubscriptionGroup(config: SubscriptionGroupConfig): Promise<void> {
    this.groups.put(config);
  }

  async deleteSubscriptionGroup(name: string): Promise<void> {
    this.groups.delete(name);
  }

  onAppend(listener: (topic: string, queueId: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private queue(topic: string, queueId: number): OpenQueue {
    const q = this.queues.get(queueName(topic, queueId));
    if (!q) throw new UnknownQueueError(`queue ${queueId} of topic ${topic} does not exist`);
    return q;
  }

  private openQueue(topic: string, queueId: number, key: number): void {
    const log = new QueueLog(join(this.topicDir(topic), String(queueId)), this.opts.segmentBytes, this.files);
    const report = log.open();
    if (report.truncatedBytes > 0 || report.recoveredRecords > 0) {
      this.log.warn({ topic, queueId, ...report }, 'queue recovered: torn tail truncated or unindexed records re-indexed');
    }
    const q: OpenQueue = { topic, queueId, key, log };
    this.queues.set(queueName(topic, queueId), q);
    this.byKey.set(key, q);
  }

  private closeQueue(topic: string, queueId: number): void {
    const open = this.queues.get(queueName(topic, queueId));
    if (!open) return;
    this.queues.delete(queueName(topic, queueId));
    this.byKey.delete(open.key);
    open.log.close();
  }

  private topicDir(topic: string): string {
    return join(this.opts.dataDir, 'queues', encodeURIComponent(topic));
  }

  private saveTopics(): void {
    const file: TopicsFile = { nextQueueKey: this.nextQueueKey, topics: [...this.topics.values()] };
    writeFileAtomically(this.topicsPath, JSON.stringify(file, null, 1));
  }

  /** Counts a refusal for the disk and passes it on. */
  private refused(err: Error): Error {
    this.refusedForDisk++;
    return err;
  }

  /** Flushes every queue and the offsets; a failure is reported and thrown, and what failed is retried next round. */
  private async flushAll(): Promise<void> {
    const started = performance.now();
    const results = await Promise.allSettled([...[...this.queues.values()].map((q) => q.log.flush()), this.offsets.flush()]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      this.flushFailures.failed(failed.reason);
      throw failed.reason;
    }
    this.flushFailures.succeeded();
    const took = performance.now() - started;
    for (const l of this.flushListeners) l(took);
  }

  /** Group commit: appends that arrive while an fsync runs share the next one. */
  private syncFlush(): Promise<void> {
    if (!this.syncInFlight) {
      this.syncInFlight = this.flushAll().finally(() => (this.syncInFlight = undefined));
      return this.syncInFlight;
    }
    // After the one in flight, however it ended: a failed flush must not answer the appends queued behind it.
    this.syncQueued ??= this.syncInFlight.catch(() => undefined).then(() => {
      this.syncQueued = undefined;
      return this.syncFlush();
    });
    return this.syncQueued;
  }

  private deleteExpired(): void {
    const cutoff = Date.now() - this.opts.retentionMs;
    for (const q of this.queues.values()) {
      const n = q.log.deleteOlderThan(cutoff);
      if (n > 0) this.log.info({ topic: q.topic, queueId: q.queueId, segments: n, minOffset: q.log.minOffset }, 'retention deleted expired segments');
    }
  }
}

const queueName = (topic: string, queueId: number): string => `${topic}\u0000${queueId}`;
