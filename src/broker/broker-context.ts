import type { Logger } from '../logger.js';
import type { AppendResult, MessageStore, NewMessage, TopicConfig } from '../store/message-store.js';
import { formatProperties, Prop } from '../protocol/message-properties.js';
import { MAX_PROPERTIES_BYTES } from '../protocol/message-codec.js';
import { levelFor, requestedDeliveryTime } from './delay-levels.js';
import type { MessageKeyIndex } from './message-key-index.js';
import { plainTopic, SCHEDULE_TOPIC } from './system-topics.js';
import { BrokerError } from '../errors/broker-error.js';
import type { TrafficStats } from './traffic-stats.js';

/** What every processor needs to know about this gateway. */
export interface BrokerSettings {
  /** host:port written into route data and message ids */
  advertisedAddress: string;
  clusterName: string;
  brokerName: string;
  autoCreateTopics: boolean;
  /** SQL92 subscriptions are served; off, they are refused (Apache RocketMQ's enablePropertyFilter) */
  enablePropertyFilter: boolean;
  defaultQueues: number;
  maxMessageSize: number;
  /** topics auto-creation stops at */
  maxTopics: number;
  maxPullMessages: number;
  maxPullBytes: number;
  /** upper bound on how long a pull is held, whatever the client asks */
  maxPullHoldMs: number;
  /** wait of each delay level in ms (`messageDelayLevel`) */
  delayLevelsMs: number[];
}

const TOPIC_NAME = /^[%|a-zA-Z0-9_-]+$/;
const MAX_TOPIC_LENGTH = 127;
export const RETRY_PREFIX = '%RETRY%';
export const DLQ_PREFIX = '%DLQ%';
/** Apache RocketMQ's default `retryMaxTimes` of a subscription group. */
export const DEFAULT_MAX_RECONSUME_TIMES = 16;

const MAX_GROUP_LENGTH = 120;

/** Apache RocketMQ's group name rule (TopicValidator.validateGroup). */
export function validateGroupName(group: string): void {
  if (!TOPIC_NAME.test(group) || group.length > MAX_GROUP_LENGTH) {
    throw new BrokerError('illegal-group', `group name ${JSON.stringify(group)} is invalid: use at most ${MAX_GROUP_LENGTH} of the characters %|a-zA-Z0-9_-`);
  }
}

export function validateTopicName(topic: string): void {
  if (!TOPIC_NAME.test(topic) || topic.length > MAX_TOPIC_LENGTH) {
    throw new BrokerError('illegal-topic', `topic name ${JSON.stringify(topic)} is invalid: use at most ${MAX_TOPIC_LENGTH} of the characters %|a-zA-Z0-9_-`);
  }
}

/** Refuses a message whose properties would not fit the stored layout: stored, no consumer could read past it. */
export function ensurePropertiesFit(properties: ReadonlyMap<string, string>): void {
  const bytes = Buffer.byteLength(formatProperties(properties));
  if (bytes > MAX_PROPERTIES_BYTES) {
    throw new BrokerError('message-properties-too-large', `the message's properties take ${bytes} bytes, over RocketMQ's limit of ${MAX_PROPERTIES_BYTES}`);
  }
}

export class BrokerContext {
  constructor(
    readonly store: MessageStore,
    readonly settings: BrokerSettings,
    readonly log: Logger,
    readonly keyIndex: MessageKeyIndex,
    readonly traffic: TrafficStats,
  ) {}

  /**
   * How many times a message of `group` is retried before it is a dead letter: what the client asked (4.x clients
   * send it with each send-back), else the group's declared retryMaxTimes, else Apache's default.
   */
  maxReconsumeTimes(group: string, asked?: number): number {
    return asked ?? this.store.getSubscriptionGroup(group)?.retryMaxTimes ?? DEFAULT_MAX_RECONSUME_TIMES;
  }

  /**
   * The topic, created on first use when auto-creation is on. Retry and dead-letter topics are
   * created with one queue, as Apache RocketMQ does, whatever the setting.
   */
  async topicOrCreate(topic: string, queues?: number): Promise<TopicConfig> {
    const existing = this.store.getTopic(topic);
    if (existing) return existing;
    validateTopicName(topic);
    const isRetry = topic.startsWith(RETRY_PREFIX) || topic.startsWith(DLQ_PREFIX);
    if (!this.settings.autoCreateTopics && !isRetry) {
      throw new BrokerError('topic-not-found', `topic ${topic} does not exist and auto-creation is off`);
    }
    const held = this.store.listTopics().length;
    if (held >= this.settings.maxTopics) {
      throw new BrokerError('topic-not-found', `topic ${topic} does not exist and is not created: the gateway holds ${held} topics, its limit (--max-topics)`);
    }
    const n = isRetry ? 1 : Math.max(1, Math.min(queues ?? this.settings.defaultQueues, 1024));
    const created = await this.store.putTopic(plainTopic(topic, n));
    this.log.info({ topic, queues: n }, 'topic auto-created');
    return created;
  }

  /** A client's messages (sends, send-backs), stored as relayMessages stores them; refused while the disk is over its limit. */
  async putMessages(topic: string, queueId: number, messages: NewMessage[]): Promise<AppendResult> {
    this.store.ensureRoomForMessages();
    return this.relayMessages(topic, queueId, messages);
  }

  /**
   * Stores messages bound for `topic`/`queueId`. A single message with a delay level, or with a delivery
   * time (RocketMQ 5's TIMER_DELAY_SEC, TIMER_DELAY_MS, TIMER_DELIVER_MS), waits in SCHEDULE_TOPIC_XXXX
   * instead, remembering where it was headed (REAL_TOPIC, REAL_QID), until it is due. The disk's limit does not
   * apply: messages the gateway moves on itself (a committed half message, a dead letter) use its headroom, since
   * refusing them would lose them (a commit refused until its checks run out is rolled back).
   */
  async relayMessages(topic: string, queueId: number, messages: NewMessage[]): Promise<AppendResult> {
    const m = messages.length === 1 ? messages[0]! : undefined;
    const now = Date.now();
    const wait = m && this.delayOf(topic, m.properties, now);
    if (!m || !wait) return this.storeMessages(topic, queueId, messages);
    if (wait.level !== undefined) {
      // As Apache RocketMQ 5: a delay level wins over a delivery time, which is dropped.
      for (const p of [Prop.TIMER_DELIVER_MS, Prop.TIMER_DELAY_SEC, Prop.TIMER_DELAY_MS]) m.properties.delete(p);
      m.properties.set(Prop.DELAY_TIME_LEVEL, String(wait.level));
      return this.schedule(topic, queueId, m, wait.level - 1);
    }
    // A timed message keeps the delivery time as it was asked for, and gets Apache RocketMQ 5's TIMER_OUT_MS,
    // the time it is due: the delivery service reads that, and a message that has it has been through the timer.
    m.properties.set(Prop.TIMER_OUT_MS, String(wait.deliverAt));
    m.properties.set(Prop.TIMER_ENQUEUE_MS, String(now));
    return this.schedule(topic, queueId, m, levelFor(wait.deliverAt - now, this.settings.delayLevelsMs));
  }

  /**
   * Whether putMessages would hold this message back: with its (capped) delay level, or until its delivery time.
   * Dead letters never wait (Apache RocketMQ zeroes the level of a message it moves to a dead-letter topic), nor
   * does a timed message that has been through the timer already (it has TIMER_OUT_MS).
   */
  delayOf(topic: string, properties: ReadonlyMap<string, string>, now: number): { level: number } | { level?: undefined; deliverAt: number } | undefined {
    const levels = this.settings.delayLevelsMs;
    if (levels.length === 0 || topic.startsWith(DLQ_PREFIX)) return undefined;
    const level = Number(properties.get(Prop.DELAY_TIME_LEVEL) ?? 0);
    if (level > 0) return { level: Math.min(level, levels.length) };
    if (properties.has(Prop.TIMER_OUT_MS)) return undefined;
    const deliverAt = requestedDeliveryTime(properties, now);
    return deliverAt !== undefined && deliverAt > now ? { deliverAt } : undefined;
  }

  /** Appends messages to `topic`/`queueId` as they are, delayed or not (a delayed message that fell due, say), and indexes their keys. */
  async storeMessages(topic: string, queueId: number, messages: NewMessage[]): Promise<AppendResult> {
    const result = await this.store.append(topic, queueId, messages);
    this.keyIndex.add(topic, messages, result);
    return result;
  }

  private schedule(topic: string, queueId: number, m: NewMessage, levelIndex: number): Promise<AppendResult> {
    m.properties.set(Prop.REAL_TOPIC, topic);
    m.properties.set(Prop.REAL_QUEUE_ID, String(queueId));
    return this.store.append(SCHEDULE_TOPIC, levelIndex, [m]);
  }

  existingTopic(topic: string): TopicConfig {
    const t = this.store.getTopic(topic);
    if (!t) throw new BrokerError('topic-not-found', `topic ${topic} does not exist`);
    return t;
  }
}
