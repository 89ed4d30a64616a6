import type { Logger } from '../logger.js';
import type { MessageStore, TopicConfig } from '../store/message-store.js';
import { Perm } from '../protocol/bodies.js';
import { RemotingRequestError } from '../remoting/errors.js';
import { ResponseCode } from '../protocol/request-code.js';

/** What every processor needs to know about this gateway. */
export interface BrokerSettings {
  /** host:port written into route data and message ids */
  advertisedAddress: string;
  clusterName: string;
  brokerName: string;
  autoCreateTopics: boolean;
  defaultQueues: number;
  maxMessageSize: number;
  maxPullMessages: number;
  maxPullBytes: number;
  /** upper bound on how long a pull is held, whatever the client asks */
  maxPullHoldMs: number;
}

const TOPIC_NAME = /^[%|a-zA-Z0-9_-]+$/;
const MAX_TOPIC_LENGTH = 127;
export const RETRY_PREFIX = '%RETRY%';

export function validateTopicName(topic: string): void {
  if (!TOPIC_NAME.test(topic) || topic.length > MAX_TOPIC_LENGTH) {
    throw new RemotingRequestError(ResponseCode.INVALID_PARAMETER, `topic name ${JSON.stringify(topic)} is invalid: use at most ${MAX_TOPIC_LENGTH} of the characters %|a-zA-Z0-9_-`);
  }
}

export class BrokerContext {
  constructor(readonly store: MessageStore, readonly settings: BrokerSettings, readonly log: Logger) {}

  /**
   * The topic, created on first use when auto-creation is on. Retry topics are created
   * with one queue, as Apache RocketMQ does, whatever the setting.
   */
  async topicOrCreate(topic: string, queues?: number): Promise<TopicConfig> {
    const existing = this.store.getTopic(topic);
    if (existing) return existing;
    validateTopicName(topic);
    const isRetry = topic.startsWith(RETRY_PREFIX);
    if (!this.settings.autoCreateTopics && !isRetry) {
      throw new RemotingRequestError(ResponseCode.TOPIC_NOT_EXIST, `topic ${topic} does not exist and auto-creation is off`);
    }
    const n = isRetry ? 1 : Math.max(1, Math.min(queues ?? this.settings.defaultQueues, 1024));
    const created = await this.store.putTopic({ name: topic, readQueueNums: n, writeQueueNums: n, perm: Perm.READ | Perm.WRITE, topicSysFlag: 0, order: false });
    this.log.info({ topic, queues: n }, 'topic auto-created');
    return created;
  }

  existingTopic(topic: string): TopicConfig {
    const t = this.store.getTopic(topic);
    if (!t) throw new RemotingRequestError(ResponseCode.TOPIC_NOT_EXIST, `topic ${topic} does not exist`);
    return t;
  }
}
