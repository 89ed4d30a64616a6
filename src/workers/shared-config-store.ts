import type { Logger } from '../logger.js';
import type { MessageStore, SubscriptionGroupConfig, TopicConfig } from '../store/message-store.js';
import { ForwardingStore } from '../store/forwarding-store.js';
import type { WorkerLink } from './worker-link.js';
import type { ConfigChange, ConfigTables } from './worker-messages.js';

/**
 * A worker's own store, whose topic and subscription-group configs every worker holds alike, as the brokers of a
 * cluster hold a topic created with `-c cluster`: a change made here returns once every other worker has applied
 * it, and changes made elsewhere are applied here. Messages, offsets and everything else stay this worker's.
 */
export class SharedConfigStore extends ForwardingStore {
  constructor(inner: MessageStore, private readonly link: WorkerLink, private readonly log: Logger) {
    super(inner);
    link.onChange((change) => this.apply(change).catch((err: unknown) => {
      this.log.error({ err, change: change.kind }, 'could not apply another worker\'s config change');
    }));
  }

  /** Opens the store, then takes in the topics and groups of the other workers' stores (a new worker has none). */
  override async open(): Promise<void> {
    await this.inner.open();
    const all = await this.link.exchangeTables({ topics: this.inner.listTopics(), groups: this.inner.listSubscriptionGroups() });
    await this.takeMissing(all);
  }

  override async putTopic(config: TopicConfig): Promise<TopicConfig> {
    const stored = await this.inner.putTopic(config);
    await this.link.publish({ kind: 'putTopic', config: stored });
    return stored;
  }

  override async deleteTopic(name: string): Promise<void> {
    await this.inner.deleteTopic(name);
    await this.link.publish({ kind: 'deleteTopic', name });
  }

  override async putSubscriptionGroup(config: SubscriptionGroupConfig): Promise<void> {
    await this.inner.putSubscriptionGroup(config);
    await this.link.publish({ kind: 'putGroup', config });
  }

  override async deleteSubscriptionGroup(name: string): Promise<void> {
    await this.inner.deleteSubscriptionGroup(name);
    await this.link.publish({ kind: 'deleteGroup', name });
  }

  private async apply(change: ConfigChange): Promise<void> {
    switch (change.kind) {
      case 'putTopic': await this.inner.putTopic(change.config); break;
      case 'deleteTopic': await this.inner.deleteTopic(change.name); break;
      case 'putGroup': await this.inner.putSubscriptionGroup(change.config); break;
      case 'deleteGroup': await this.inner.deleteSubscriptionGroup(change.name); break;
    }
  }

  /**
   * What another worker's store has and this one lacks. Workers start and stop together, so a topic one of them
   * lacks was made while it was not yet a worker (a single-process data dir taken over by worker 0).
   */
  private async takeMissing({ topics, groups }: ConfigTables): Promise<void> {
    for (const t of topics) if (!this.inner.getTopic(t.name)) await this.inner.putTopic(t);
    for (const g of groups) if (!this.inner.getSubscriptionGroup(g.groupName)) await this.inner.putSubscriptionGroup(g);
  }
}
