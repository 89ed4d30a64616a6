import type { AppendResult, CommittedOffset, MessageStore, NewMessage, ReadResult, StoredMessage, TopicConfig } from './message-store.js';
import { ForwardingStore } from './forwarding-store.js';

/**
 * Where one broker slot's queues sit among a store queue set: the queues of every topic are striped over the
 * cluster's slots, so local queue q of slot s is store queue q × slots + s. With one slot the layout is the
 * identity, which is how a lone gateway kept its data before clusters existed.
 */
export class SlotLayout {
  constructor(readonly slot: number, readonly slots: number) {
    if (!Number.isInteger(slots) || slots < 1 || slot < 0 || slot >= slots) throw new RangeError(`slot ${slot} of ${slots} does not exist`);
  }

  storeQueue(localQueue: number): number {
    return localQueue * this.slots + this.slot;
  }

  /** The slot-local id of any store queue (its own slot's, which need not be this one). */
  localQueue(storeQueue: number): number {
    return Math.floor(storeQueue / this.slots);
  }

  holds(storeQueue: number): boolean {
    return storeQueue % this.slots === this.slot;
  }

  /** How many of `total` striped store queues are this slot's. */
  localCount(total: number): number {
    return total > this.slot ? Math.floor((total - 1 - this.slot) / this.slots) + 1 : 0;
  }
}

/** Stores that can let go of the resources (readers, exclusive writers) they hold for some queues. */
export interface ReleasableStore extends MessageStore {
  /** Writes pending consumer offsets and closes the open queues `matches` selects; they reopen on next use. */
  releaseQueues(matches: (topic: string, queueId: number) => boolean): Promise<void>;
  /** Resolves once this store has read every change other writers made to its shared state before the call. */
  catchUp(): Promise<void>;
}

export const isReleasable = (store: MessageStore): store is ReleasableStore => typeof (store as Partial<ReleasableStore>).releaseQueues === 'function';

/**
 * One broker slot's view of a shared store: what Apache RocketMQ keeps per broker (a topic's queues, the
 * offsets committed in them, the delay and transaction topics, the key index) is this slot's stripe of each
 * topic, with queue ids and queue counts local to the slot, as clients see a broker's. Topic and group
 * configs are the cluster's, shared by every slot; a queue count given to the view is per slot.
 */
export class SlotStore extends ForwardingStore {
  constructor(inner: MessageStore, readonly layout: SlotLayout) {
    super(inner);
  }

  override open(): Promise<void> {
    return Promise.resolve();
  }

  /** The shared store outlives its slots' views; a view closes nothing. */
  override close(): Promise<void> {
    return Promise.resolve();
  }

  override getTopic(name: string): TopicConfig | undefined {
    const t = this.inner.getTopic(name);
    return t && this.local(t);
  }

  override listTopics(): TopicConfig[] {
    return this.inner.listTopics().map((t) => this.local(t));
  }

  override async putTopic(config: TopicConfig): Promise<TopicConfig> {
    const { slots } = this.layout;
    const stored = await this.inner.putTopic({ ...config, readQueueNums: config.readQueueNums * slots, writeQueueNums: config.writeQueueNums * slots });
    return this.local(stored);
  }

  override async append(topic: string, queueId: number, messages: NewMessage[]): Promise<AppendResult> {
    return this.inner.append(topic, this.layout.storeQueue(queueId), messages);
  }

  override async read(topic: string, queueId: number, offset: number, maxMessages: number, maxBytes: number): Promise<ReadResult> {
    const r = await this.inner.read(topic, this.layout.storeQueue(queueId), offset, maxMessages, maxBytes);
    for (const m of r.messages) m.queueId = queueId;
    return r;
  }

  override minOffset(topic: string, queueId: number): Promise<number> {
    return this.inner.minOffset(topic, this.layout.storeQueue(queueId));
  }

  override maxOffset(topic: string, queueId: number): Promise<number> {
    return this.inner.maxOffset(topic, this.layout.storeQueue(queueId));
  }

  override offsetForTimestamp(topic: string, queueId: number, timestamp: number): Promise<number> {
    return this.inner.offsetForTimestamp(topic, this.layout.storeQueue(queueId), timestamp);
  }

  override earliestStoreTime(topic: string, queueId: number): Promise<number> {
    return this.inner.earliestStoreTime(topic, this.layout.storeQueue(queueId));
  }

  /** Any slot's message: message ids name a message wherever it is, and its queue id is local to its own slot. */
  override async lookup(locator: bigint): Promise<StoredMessage | undefined> {
    const m = await this.inner.lookup(locator);
    if (m) m.queueId = this.layout.localQueue(m.queueId);
    return m;
  }

  override commitOffset(group: string, topic: string, queueId: number, offset: number): Promise<void> {
    return this.inner.commitOffset(group, topic, this.layout.storeQueue(queueId), offset);
  }

  override committedOffset(group: string, topic: string, queueId: number): Promise<number | undefined> {
    return this.inner.committedOffset(group, topic, this.layout.storeQueue(queueId));
  }

  override committedOffsets(): CommittedOffset[] {
    return this.inner.committedOffsets()
      .filter((c) => this.layout.holds(c.queueId))
      .map((c) => ({ ...c, queueId: this.layout.localQueue(c.queueId) }));
  }

  override onAppend(listener: (topic: string, queueId: number) => void): () => void {
    return this.inner.onAppend((topic, queueId) => {
      if (this.layout.holds(queueId)) listener(topic, this.layout.localQueue(queueId));
    });
  }

  /** Reads what the slot's previous owner wrote last (its final offsets) before this gateway serves the slot. */
  catchUp(): Promise<void> {
    const { inner } = this;
    return isReleasable(inner) ? inner.catchUp() : Promise.resolve();
  }

  /** Lets go of this slot's queues in the shared store, after writing the offsets committed in them. */
  release(): Promise<void> {
    const { inner } = this;
    return isReleasable(inner) ? inner.releaseQueues((_, queueId) => this.layout.holds(queueId)) : Promise.resolve();
  }

  private local(t: TopicConfig): TopicConfig {
    return { ...t, readQueueNums: this.layout.localCount(t.readQueueNums), writeQueueNums: this.layout.localCount(t.writeQueueNums) };
  }
}
