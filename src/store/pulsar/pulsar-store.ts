import type { Logger } from '../../logger.js';
import { PulsarClient } from '../../pulsar/pulsar-client.js';
import { PulsarAdmin } from '../../pulsar/admin.js';
import type { PulsarAuthentication } from '../../pulsar/auth.js';
import type { PulsarTlsOptions } from '../../pulsar/tls.js';
import {
  UnknownQueueError,
  topicConfigOf,
  type AppendResult,
  type CommittedOffset,
  type StoreStatus,
  type NewMessage,
  type ReadResult,
  type StoredMessage,
  type SubscriptionGroupConfig,
  type TopicConfig,
} from '../message-store.js';
import { packLocator, unpackLocator } from '../locator.js';
import { locate, partitionName, pulsarTopicName, type MappingDefaults } from './topic-mapping.js';
import { fromPulsarMessage, toPulsarMessage } from './message-mapping.js';
import { PulsarQueue, type IndexedMessage, type PulsarQueueOptions } from './pulsar-queue.js';
import { SystemTable } from './system-table.js';
import type { ReleasableStore } from '../slot-store.js';
import { ensurePartitions, freeQueueKey, retiredKey, topicWriteAccepted, type TopicEntry } from './topic-entry.js';

export interface PulsarStoreOptions {
  serviceUrl: string;
  adminUrl: string;
  /** Certificate checks of pulsar+ssl:// and https:// URLs. */
  tls?: PulsarTlsOptions;
  auth?: PulsarAuthentication;
  /** Where RocketMQ topics without a client namespace go. */
  tenant: string;
  namespace: string;
  /** `tenant/namespace` holding the gateway's own tables (topic configs, consumer offsets). */
  systemNamespace: string;
  /** Retention set on namespaces the gateway creates, so unconsumed messages outlive Pulsar's default of none. */
  retentionHours: number;
  /** How often committed consumer offsets are written to Pulsar. */
  offsetFlushMs: number;
  queue?: Partial<PulsarQueueOptions>;
}

const DEFAULT_QUEUE_OPTIONS: PulsarQueueOptions = {
  recentMessages: 4096,
  recentBytes: 8 * 1024 * 1024,
  maxCatchUpReaders: 8,
  catchUpIdleMs: 30_000,
  indexWaitMs: 5000,
  tailIdleMs: 120_000,
  sendTimeoutMs: 10_000,
};
/** Compact a system table once this much un-compacted backlog has piled up. */
const COMPACTION_THRESHOLD_BYTES = 4 * 1024 * 1024;
/** Writes of one topic entry before putTopic gives up; each rejection means another gateway's write won a queue key. */
const TOPIC_WRITE_ATTEMPTS = 20;

const offsetKey = (group: string, topic: string, queueId: number): string => `${group}\u0001${topic}\u0001${queueId}`;
const queueName = (topic: string, queueId: number): string => `${topic}\u0000${queueId}`;

/**
 * Keeps RocketMQ topics in Apache Pulsar: topic T is the partitioned topic of DESIGN §5, queue q its
 * partition q, the queue offset the broker entry index. Topic configs and consumer offsets live in
 * compacted topics of the system namespace, so any number of gateways can share one cluster.
 */
export class PulsarStore implements ReleasableStore {
  private readonly client: PulsarClient;
  private readonly admin: PulsarAdmin;
  private readonly defaults: MappingDefaults;
  private readonly queueOptions: PulsarQueueOptions;
  private readonly topics: SystemTable<TopicEntry>;
  private readonly offsets: SystemTable<number>;
  private readonly groups: SystemTable<SubscriptionGroupConfig>;
  private readonly queues = new Map<string, PulsarQueue>();
  private readonly listeners = new Set<(topic: string, queueId: number) => void>();
  private readonly namespacesReady = new Map<string, Promise<void>>();
  private readonly pulsarNames = new Map<string, string>();
  private readonly flushListeners = new Set<(durationMs: number) => void>();
  /** Queue keys this gateway's topic writes in flight propose, so concurrent local writes propose different ones. */
  private readonly proposedKeys = new Set<number>();
  private opened = false;

  constructor(private readonly opts: PulsarStoreOptions, private readonly log: Logger) {
    this.client = new PulsarClient({ serviceUrl: opts.serviceUrl, tls: opts.tls, auth: opts.auth });
    this.admin = new PulsarAdmin(opts.adminUrl, { tls: opts.tls, auth: opts.auth });
    this.defaults = { tenant: opts.tenant, namespace: opts.namespace };
    this.queueOptions = { ...DEFAULT_QUEUE_OPTIONS, ...opts.queue };
    const system = `persistent://${opts.systemNamespace}`;
    // Topic and group configs change where every gateway must agree (queue keys are store-wide), so the log
    // orders them; an offset has a single writer, the consumer owning its queue, and is written behind.
    this.topics = new SystemTable(this.client, `${system}/topics`, { mode: 'ordered', rule: topicWriteAccepted }, log);
    this.offsets = new SystemTable(this.client, `${system}/consumer-offsets`, {
      mode: 'optimistic',
      writeBehindMs: opts.offsetFlushMs,
      onFlushed: (ms) => {
        for (const l of this.flushListeners) l(ms);
      },
    }, log);
    this.groups = new SystemTable(this.client, `${system}/subscription-groups`, { mode: 'ordered' }, log);
  }

  async open(): Promise<void> {
    await this.ensureNamespace(this.opts.systemNamespace);
    await this.admin.setCompactionThreshold(this.opts.systemNamespace, COMPACTION_THRESHOLD_BYTES);
    // A table write resent after a reconnect must not land twice: a stale copy would be judged again later.
    await this.admin.setDeduplication(this.opts.systemNamespace, true);
    await this.ensureNamespace(`${this.opts.tenant}/${this.opts.namespace}`);
    await Promise.all([this.topics.open(), this.offsets.open(), this.groups.open()]);
    this.opened = true;
    this.log.info({ serviceUrl: this.opts.serviceUrl, topics: [...this.topics.entries()].length }, 'Pulsar store open');
  }

  async close(): Promise<void> {
    this.opened = false;
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(queues.map((q) => q.close()));
    await Promise.all([this.topics.close(), this.offsets.close(), this.groups.close()]);
    await this.client.close();
    this.admin.close();
  }

  getTopic(name: string): TopicConfig | undefined {
    const t = this.topics.get(this.pulsarName(name));
    return t && topicConfigOf(t);
  }

  listTopics(): TopicConfig[] {
    return this.ownTopics().map((t) => topicConfigOf(t));
  }

  /**
   * Creates or updates a topic. Its entry is judged by every gateway in the log's order (topicWriteAccepted):
   * a write that lost a queue key, or the creation of the same topic, to another gateway is rejected and
   * redone on the entry the log kept, whose queue keys stay as they are.
   */
  async putTopic(config: TopicConfig): Promise<TopicConfig> {
    const location = locate(config.name, this.defaults);
    await this.ensureNamespace(`${location.tenant}/${location.namespace}`);
    const key = this.pulsarName(config.name);
    const wanted = Math.max(config.readQueueNums, config.writeQueueNums);
    const { found, partitions } = await ensurePartitions(this.admin, key.slice('persistent://'.length), wanted);
    let proposed: number[] = [];
    const release = (): void => {
      for (const k of proposed) this.proposedKeys.delete(k);
      proposed = [];
    };
    try {
      const entry = await this.topics.update(key, (existing) => {
        release();
        // A topic Pulsar already had (written by Pulsar clients): RocketMQ sees all of its partitions.
        const adopted = !existing && found > wanted ? { ...config, readQueueNums: partitions, writeQueueNums: partitions } : config;
        const queueKeys = existing?.queueKeys.slice() ?? [];
        while (queueKeys.length < Math.max(adopted.readQueueNums, adopted.writeQueueNums)) {
          // Small keys keep locators below 2^53, which matters to JavaScript clients (ali-ons) that carry a
          // message's commit log offset as a double, e.g. in send-back.
          const k = freeQueueKey(this.topics.entries(), [...queueKeys, ...this.proposedKeys]);
          this.proposedKeys.add(k);
          proposed.push(k);
          queueKeys.push(k);
        }
        return { ...adopted, queueKeys };
      }, TOPIC_WRITE_ATTEMPTS);
      // Pulsar may have let a concurrent, smaller grow land last. Every gateway grows before writing its entry,
      // so once the log has accepted an entry, the grows behind the entries before it are over: checking
      // against the accepted entry here, after the write, has the last writer see the final count.
      await ensurePartitions(this.admin, key.slice('persistent://'.length), entry!.queueKeys.length);
      return topicConfigOf(entry!);
    } finally {
      release();
    }
  }

  /**
   * Closes the topic's queues, force-deletes the partitioned topic (disconnecting whoever else reads or writes
   * it), retires its queue keys, then drops its config and the offsets committed in it.
   */
  async deleteTopic(name: string): Promise<void> {
    const key = this.pulsarName(name);
    const entry = this.topics.get(key);
    if (!entry) return;
    await Promise.all(entry.queueKeys.map(async (_, queueId) => {
      const q = this.queues.get(queueName(name, queueId));
      if (!q) return;
      this.queues.delete(queueName(name, queueId));
      await q.close();
    }));
    await this.admin.deletePartitionedTopic(key.slice('persistent://'.length), true);
    await this.topics.update(retiredKey(key), (retired) => {
      const kept = retired?.queueKeys ?? [];
      return { ...entry, queueKeys: [...kept, ...entry.queueKeys.filter((k) => !kept.includes(k))] };
    }, TOPIC_WRITE_ATTEMPTS);
    await this.topics.set(key, undefined);
    await this.deleteOffsetsWhere((_, topic) => topic === key);
  }

  /** Pulsar's bookies guard their own disks, and a publish they cannot take fails as any other does. */
  ensureRoomForMessages(): void {}

  async append(topic: string, queueId: number, messages: NewMessage[]): Promise<AppendResult> {
    const q = this.queue(topic, queueId);
    const key = this.queueKey(topic, queueId);
    const offsets = await q.append(messages.map(toPulsarMessage));
    return { firstOffset: offsets[0]!, locators: offsets.map((o) => packLocator(key, o)), storeTimestamp: Date.now() };
  }

  async read(topic: string, queueId: number, offset: number, maxMessages: number, maxBytes: number): Promise<ReadResult> {
    const q = this.queue(topic, queueId);
    await q.follow();
    const maxOffset = q.maxOffset;
    const base = { messages: [] as StoredMessage[], maxOffset };
    if (maxOffset === 0) return { ...base, minOffset: 0, status: 'NO_MESSAGE_IN_QUEUE', nextOffset: 0 };
    if (offset === maxOffset) return { ...base, minOffset: await q.minOffset(), status: 'OFFSET_OVERFLOW_ONE', nextOffset: offset };
    if (offset > maxOffset) {
      const minOffset = await q.minOffset();
      return { ...base, minOffset, status: 'OFFSET_OVERFLOW_BADLY', nextOffset: maxOffset };
    }
    const found = offset >= 0 ? await q.read(offset, maxMessages, maxBytes) : [];
    if (found.length === 0) {
      const minOffset = await q.minOffset();
      return { ...base, minOffset, status: 'OFFSET_TOO_SMALL', nextOffset: minOffset };
    }
    const key = this.queueKey(topic, queueId);
    const messages = found.map((m) => this.stored(topic, queueId, key, m));
    return { ...base, minOffset: await q.minOffsetBefore(offset), status: 'FOUND', messages, nextOffset: offset + messages.length };
  }

  async minOffset(topic: string, queueId: number): Promise<number> {
    return this.queue(topic, queueId).minOffset();
  }

  async maxOffset(topic: string, queueId: number): Promise<number> {
    return this.queue(topic, queueId).currentMaxOffset();
  }

  async offsetForTimestamp(topic: string, queueId: number, timestamp: number): Promise<number> {
    return this.queue(topic, queueId).offsetForTimestamp(timestamp);
  }

  async earliestStoreTime(topic: string, queueId: number): Promise<number> {
    const m = await this.queue(topic, queueId).oldest();
    return m ? (m.brokerTimestamp ?? m.publishTime) : -1;
  }

  async lookup(locator: bigint): Promise<StoredMessage | undefined> {
    const { queueKey, offset } = unpackLocator(locator);
    for (const t of this.ownTopics()) {
      const queueId = t.queueKeys.indexOf(queueKey);
      if (queueId < 0) continue;
      const q = this.queue(t.name, queueId);
      await q.follow();
      if (offset >= q.maxOffset) return undefined;
      const [m] = await q.read(offset, 1, 0);
      return m && m.index === offset ? this.stored(t.name, queueId, queueKey, m) : undefined;
    }
    return undefined;
  }

  async commitOffset(group: string, topic: string, queueId: number, offset: number): Promise<void> {
    await this.offsets.set(offsetKey(group, this.pulsarName(topic), queueId), offset);
  }

  async committedOffset(group: string, topic: string, queueId: number): Promise<number | undefined> {
    return this.offsets.get(offsetKey(group, this.pulsarName(topic), queueId));
  }

  /** Ready once open while at least one connection to the cluster is up (one is opened again on demand). */
  status(): StoreStatus {
    const connections = this.client.connectionStats;
    const ready = this.opened && connections.open > 0;
    return {
      kind: 'pulsar',
      ready,
      detail: !this.opened ? 'not open' : ready ? `connected to ${this.opts.serviceUrl}` : `no connection to ${this.opts.serviceUrl}`,
      pulsarConnections: connections,
    };
  }

  /** The Pulsar store's own flushes are the consumer-offset table's writes; appends are durable per send. */
  onFlush(listener: (durationMs: number) => void): () => void {
    this.flushListeners.add(listener);
    return () => this.flushListeners.delete(listener);
  }

  committedOffsets(): CommittedOffset[] {
    const names = new Map(this.ownTopics().map((t) => [this.pulsarName(t.name), t.name]));
    const result: CommittedOffset[] = [];
    for (const [key, offset] of this.offsets.entries()) {
      const [group, pulsarTopic, queueId] = key.split('\u0001') as [string, string, string];
      const topic = names.get(pulsarTopic);
      if (topic !== undefined) result.push({ group, topic, queueId: Number(queueId), offset });
    }
    return result;
  }

  deleteCommittedOffsets(group: string): Promise<void> {
    return this.deleteOffsetsWhere((g) => g === group);
  }

  getSubscriptionGroup(name: string): SubscriptionGroupConfig | undefined {
    return this.groups.get(name);
  }

  listSubscriptionGroups(): SubscriptionGroupConfig[] {
    return [...this.groups.entries()].map(([, g]) => g);
  }

  putSubscriptionGroup(config: SubscriptionGroupConfig): Promise<void> {
    return this.groups.set(config.groupName, config);
  }

  deleteSubscriptionGroup(name: string): Promise<void> {
    return this.groups.get(name) ? this.groups.set(name, undefined) : Promise.resolve();
  }

  /** Writes pending consumer offsets, then closes the open queues `matches` selects (with their readers and writer). */
  async releaseQueues(matches: (topic: string, queueId: number) => boolean): Promise<void> {
    // Offsets that cannot be written now stay pending and go with the next flush; the queues close regardless.
    await this.offsets.flush().catch((err) => this.log.warn({ err }, 'consumer offsets not written before releasing queues; will retry'));
    const doomed = [...this.queues].filter(([name]) => {
      const [topic, queueId] = name.split('\u0000') as [string, string];
      return matches(topic, Number(queueId));
    });
    for (const [name] of doomed) this.queues.delete(name);
    await Promise.all(doomed.map(([, q]) => q.close()));
  }

  async catchUp(): Promise<void> {
    await Promise.all([this.offsets.sync(), this.topics.sync(), this.groups.sync()]);
  }

  onAppend(listener: (topic: string, queueId: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Deletes the offsets `matches` selects (by group and Pulsar topic) and waits until the deletions are written. */
  private async deleteOffsetsWhere(matches: (group: string, pulsarTopic: string) => boolean): Promise<void> {
    const doomed = [...this.offsets.entries()].map(([k]) => k).filter((k) => {
      const [group, pulsarTopic] = k.split('\u0001') as [string, string];
      return matches(group, pulsarTopic);
    });
    for (const k of doomed) await this.offsets.set(k, undefined);
    await this.offsets.flush();
  }

  private stored(topic: string, queueId: number, queueKey: number, m: IndexedMessage): StoredMessage {
    return fromPulsarMessage(m, { topic, queueId, queueOffset: m.index, locator: packLocator(queueKey, m.index) });
  }

  private queueKey(topic: string, queueId: number): number {
    return this.topics.get(this.pulsarName(topic))!.queueKeys[queueId]!;
  }

  /**
   * The Pulsar topic of a RocketMQ topic, which also keys its entries in the system tables: gateways sharing a
   * system namespace may map the same RocketMQ name into different Pulsar namespaces (--pulsar-namespace).
   */
  private pulsarName(topic: string): string {
    let name = this.pulsarNames.get(topic);
    if (name === undefined) {
      name = pulsarTopicName(topic, this.defaults);
      this.pulsarNames.set(topic, name);
    }
    return name;
  }

  /** The topic entries this gateway's mapping reaches (the table may hold other gateways' namespaces too). */
  private ownTopics(): TopicEntry[] {
    return [...this.topics.entries()].filter(([key, t]) => key === this.pulsarName(t.name)).map(([, t]) => t);
  }

  /** The queue, made on first use (its tail starts with the first read, see PulsarQueue.follow). */
  private queue(topic: string, queueId: number): PulsarQueue {
    const name = queueName(topic, queueId);
    const existing = this.queues.get(name);
    if (existing) return existing;
    const t = this.topics.get(this.pulsarName(topic));
    if (!t || queueId < 0 || queueId >= t.queueKeys.length) throw new UnknownQueueError(`queue ${queueId} of topic ${topic} does not exist`);
    const partition = partitionName(this.pulsarName(topic), queueId);
    const q = new PulsarQueue(this.client, this.admin, partition, this.queueOptions, () => {
      for (const l of this.listeners) l(topic, queueId);
    }, this.log);
    this.queues.set(name, q);
    return q;
  }

  private ensureNamespace(namespace: string): Promise<void> {
    let ready = this.namespacesReady.get(namespace);
    if (!ready) {
      ready = this.admin.ensureRetainedNamespace(namespace, this.opts.retentionHours);
      this.namespacesReady.set(namespace, ready);
      ready.catch(() => this.namespacesReady.delete(namespace));
    }
    return ready;
  }
}

