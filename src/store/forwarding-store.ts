import type {
  AppendResult, CommittedOffset, MessageStore, NewMessage, ReadResult, StoreStatus, StoredMessage, SubscriptionGroupConfig, TopicConfig,
} from './message-store.js';

/** A store that passes every call to another: the base of views that change a few of them. */
export class ForwardingStore implements MessageStore {
  constructor(readonly inner: MessageStore) {}

  open(): Promise<void> {
    return this.inner.open();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  getTopic(name: string): TopicConfig | undefined {
    return this.inner.getTopic(name);
  }

  listTopics(): TopicConfig[] {
    return this.inner.listTopics();
  }

  putTopic(config: TopicConfig): Promise<TopicConfig> {
    return this.inner.putTopic(config);
  }

  deleteTopic(name: string): Promise<void> {
    return this.inner.deleteTopic(name);
  }

  ensureRoomForMessages(): void {
    this.inner.ensureRoomForMessages();
  }

  append(topic: string, queueId: number, messages: NewMessage[]): Promise<AppendResult> {
    return this.inner.append(topic, queueId, messages);
  }

  read(topic: string, queueId: number, offset: number, maxMessages: number, maxBytes: number): Promise<ReadResult> {
    return this.inner.read(topic, queueId, offset, maxMessages, maxBytes);
  }

  minOffset(topic: string, queueId: number): Promise<number> {
    return this.inner.minOffset(topic, queueId);
  }

  maxOffset(topic: string, queueId: number): Promise<number> {
    return this.inner.maxOffset(topic, queueId);
  }

  offsetForTimestamp(topic: string, queueId: number, timestamp: number): Promise<number> {
    return this.inner.offsetForTimestamp(topic, queueId, timestamp);
  }

  earliestStoreTime(topic: string, queueId: number): Promise<number> {
    return this.inner.earliestStoreTime(topic, queueId);
  }

  lookup(locator: bigint): Promise<StoredMessage | undefined> {
    return this.inner.lookup(locator);
  }

  commitOffset(group: string, topic: string, queueId: number, offset: number): Promise<void> {
    return this.inner.commitOffset(group, topic, queueId, offset);
  }

  committedOffset(group: string, topic: string, queueId: number): Promise<number | undefined> {
    return this.inner.committedOffset(group, topic, queueId);
  }

  committedOffsets(): CommittedOffset[] {
    return this.inner.committedOffsets();
  }

  deleteCommittedOffsets(group: string): Promise<void> {
    return this.inner.deleteCommittedOffsets(group);
  }

  getSubscriptionGroup(name: string): SubscriptionGroupConfig | undefined {
    return this.inner.getSubscriptionGroup(name);
  }

  listSubscriptionGroups(): SubscriptionGroupConfig[] {
    return this.inner.listSubscriptionGroups();
  }

  putSubscriptionGroup(config: SubscriptionGroupConfig): Promise<void> {
    return this.inner.putSubscriptionGroup(config);
  }

  deleteSubscriptionGroup(name: string): Promise<void> {
    return this.inner.deleteSubscriptionGroup(name);
  }

  status(): StoreStatus {
    return this.inner.status();
  }

  onFlush(listener: (durationMs: number) => void): () => void {
    return this.inner.onFlush(listener);
  }

  onAppend(listener: (topic: string, queueId: number) => void): () => void {
    return this.inner.onAppend(listener);
  }
}
