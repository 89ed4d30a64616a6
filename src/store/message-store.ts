/**
 * The seam between the broker and storage. Nothing here knows the RocketMQ wire format:
 * stores keep messages, topics and consumer offsets; the broker turns them into frames.
 */

/** A message handed to the store. */
export interface NewMessage {
  body: Buffer;
  flag: number;
  sysFlag: number;
  properties: Map<string, string>;
  bornTimestamp: number;
  /** producer address, `ip:port` */
  bornHost: string;
  reconsumeTimes: number;
  preparedTransactionOffset: bigint;
}

/** A message as the store holds it: offsets are contiguous per queue (0, 1, 2, …). */
export interface StoredMessage extends NewMessage {
  topic: string;
  queueId: number;
  queueOffset: number;
  storeTimestamp: number;
  /** 64-bit id that `lookup` resolves back to this message */
  locator: bigint;
}

export interface AppendResult {
  firstOffset: number;
  locators: bigint[];
  storeTimestamp: number;
}

export type ReadStatus =
  | 'FOUND'
  | 'NO_MESSAGE_IN_QUEUE'
  | 'OFFSET_TOO_SMALL'
  | 'OFFSET_OVERFLOW_ONE'
  | 'OFFSET_OVERFLOW_BADLY';

export interface ReadResult {
  status: ReadStatus;
  messages: StoredMessage[];
  /** where the next read of this queue should start */
  nextOffset: number;
  minOffset: number;
  /** offset the next appended message will get (RocketMQ's max offset) */
  maxOffset: number;
}

export interface TopicConfig {
  name: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
  order: boolean;
}

/**
 * A stored message written again somewhere else (its due topic, a retry or dead-letter topic, its committed
 * topic), keeping what it carried; `changes` replaces what the new place differs in.
 */
export const restoredMessage = (m: StoredMessage, changes: Partial<NewMessage> = {}): NewMessage => ({
  body: m.body,
  flag: m.flag,
  sysFlag: m.sysFlag,
  properties: new Map(m.properties),
  bornTimestamp: m.bornTimestamp,
  bornHost: m.bornHost,
  reconsumeTimes: m.reconsumeTimes,
  preparedTransactionOffset: m.preparedTransactionOffset,
  ...changes,
});

/**
 * Every message of one queue from `from` to its current end, read in batches; a start the store no
 * longer keeps moves up to the oldest message it does.
 */
export async function* readForward(store: MessageStore, topic: string, queueId: number, from: number, batch = 256): AsyncGenerator<StoredMessage> {
  let offset = from;
  for (;;) {
    const r = await store.read(topic, queueId, offset, batch, 16 * 1024 * 1024);
    if (r.status === 'OFFSET_TOO_SMALL') {
      offset = r.nextOffset;
      continue;
    }
    if (r.messages.length === 0) return;
    yield* r.messages;
    offset = r.nextOffset;
  }
}

/** Just the TopicConfig fields of a store's richer topic record. */
export const topicConfigOf = ({ name, readQueueNums, writeQueueNums, perm, topicSysFlag, order }: TopicConfig): TopicConfig => ({
  name,
  readQueueNums,
  writeQueueNums,
  perm,
  topicSysFlag,
  order,
});

/** How a store is doing, for health checks and metrics. */
export interface StoreStatus {
  kind: 'embedded' | 'pulsar';
  /** false while the store cannot serve, e.g. it has no connection to Pulsar */
  ready: boolean;
  detail: string;
  /** bytes of messages kept on local disk (embedded store) */
  diskBytes?: number;
  /** the embedded store's hold on its disk: files open, the file system's use (0 to 1), refusals, failed flushes */
  disk?: { openFiles: number; usedRatio: number; refusedForDisk: number; flushErrors: number };
  /** the Pulsar client's connections: open now, opened since start, attempts that failed */
  pulsarConnections?: { open: number; opened: number; failed: number; authChallenges: number };
}

/**
 * A consumer group as an operator declared it (RocketMQ's subscription group config): kept and read back; the
 * broker decides what each setting means.
 */
export interface SubscriptionGroupConfig {
  groupName: string;
  consumeEnable: boolean;
  consumeFromMinEnable: boolean;
  consumeBroadcastEnable: boolean;
  consumeMessageOrderly: boolean;
  retryQueueNums: number;
  retryMaxTimes: number;
  brokerId: number;
  whichBrokerWhenConsumeSlowly: number;
  notifyConsumerIdsChangedEnable: boolean;
  groupSysFlag: number;
  consumeTimeoutMinute: number;
  attributes: Record<string, string>;
  /** RocketMQ 5's retry policy, kept as declared */
  groupRetryPolicy?: Record<string, unknown>;
}

export interface CommittedOffset {
  group: string;
  topic: string;
  queueId: number;
  offset: number;
}

/** A topic or queue the store does not have. */
export class UnknownQueueError extends Error {
  override readonly name = 'UnknownQueueError';
}

export interface MessageStore {
  open(): Promise<void>;
  /** Flushes and releases everything; the store is unusable afterwards. */
  close(): Promise<void>;

  getTopic(name: string): TopicConfig | undefined;
  listTopics(): TopicConfig[];
  /** Creates the topic or changes its queue counts and permissions. */
  putTopic(config: TopicConfig): Promise<TopicConfig>;
  /** Removes the topic with its messages and every group's committed offsets in it; a missing topic is no error. */
  deleteTopic(name: string): Promise<void>;

  /**
   * Throws BrokerError('disk-full') while the store takes no new messages from clients (its disk is fuller than its
   * limit); what the gateway writes itself (delayed messages falling due, commits, the key index) still goes on.
   */
  ensureRoomForMessages(): void;
  /** Appends to one queue; resolves once the store's durability policy is met. */
  append(topic: string, queueId: number, messages: NewMessage[]): Promise<AppendResult>;
  read(topic: string, queueId: number, offset: number, maxMessages: number, maxBytes: number): Promise<ReadResult>;
  minOffset(topic: string, queueId: number): Promise<number>;
  maxOffset(topic: string, queueId: number): Promise<number>;
  /** First offset whose store time is at or after `timestamp` (maxOffset when none is). */
  offsetForTimestamp(topic: string, queueId: number, timestamp: number): Promise<number>;
  /** Store time of the oldest message kept, or -1 for an empty queue. */
  earliestStoreTime(topic: string, queueId: number): Promise<number>;
  lookup(locator: bigint): Promise<StoredMessage | undefined>;

  commitOffset(group: string, topic: string, queueId: number, offset: number): Promise<void>;
  committedOffset(group: string, topic: string, queueId: number): Promise<number | undefined>;
  /** Every committed offset of topics this store reaches, for admin views of groups. */
  committedOffsets(): CommittedOffset[];
  /** Forgets every offset `group` committed. */
  deleteCommittedOffsets(group: string): Promise<void>;

  getSubscriptionGroup(name: string): SubscriptionGroupConfig | undefined;
  listSubscriptionGroups(): SubscriptionGroupConfig[];
  /** Creates or replaces the group's config. */
  putSubscriptionGroup(config: SubscriptionGroupConfig): Promise<void>;
  /** A missing group is no error. */
  deleteSubscriptionGroup(name: string): Promise<void>;

  status(): StoreStatus;
  /** Called after each flush to durable storage with how long it took; returns an unsubscribe function. */
  onFlush(listener: (durationMs: number) => void): () => void;

  /** Called after every append with the queue that grew; returns an unsubscribe function. */
  onAppend(listener: (topic: string, queueId: number) => void): () => void;
}
