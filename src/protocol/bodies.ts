import { BrokerError } from '../errors/broker-error.js';

/** RocketMQ's permission bits on topics. */
export const Perm = { INHERIT: 1, WRITE: 2, READ: 4 } as const;

export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

export interface BrokerData {
  cluster: string;
  brokerName: string;
  /** broker id (0 = master) → address; JSON object keys are the ids as strings */
  brokerAddrs: Record<string, string>;
}

export interface TopicRouteData {
  orderTopicConf?: string;
  queueDatas: QueueData[];
  brokerDatas: BrokerData[];
  filterServerTable: Record<string, string[]>;
}

export interface ClusterInfo {
  brokerAddrTable: Record<string, BrokerData>;
  clusterAddrTable: Record<string, string[]>;
}

export const jsonBody = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');

/** Parses a JSON request body, answering malformed input with an error code rather than an exception. */
export function parseJsonBody<T>(body: Buffer | undefined, what: string): T {
  if (!body || body.length === 0) throw new BrokerError('bad-request', `${what} body is missing`);
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw new BrokerError('bad-request', `${what} body is not valid JSON`);
  }
}

export interface SubscriptionDataBody {
  topic: string;
  subString?: string;
  expressionType?: string;
  classFilterMode?: boolean;
  subVersion?: number;
}

export interface ConsumerDataBody {
  groupName: string;
  consumeType?: string;
  messageModel?: string;
  consumeFromWhere?: string;
  subscriptionDataSet?: SubscriptionDataBody[];
  unitMode?: boolean;
}

export interface HeartbeatBody {
  clientID: string;
  producerDataSet?: Array<{ groupName: string }>;
  consumerDataSet?: ConsumerDataBody[];
}

export interface MessageQueueBody {
  topic: string;
  brokerName: string;
  queueId: number;
}

/** LOCK_BATCH_MQ and UNLOCK_BATCH_MQ request bodies (LockBatchRequestBody, UnlockBatchRequestBody). */
export interface QueueLockBatchBody {
  consumerGroup: string;
  clientId: string;
  onlyThisBroker?: boolean;
  mqSet: MessageQueueBody[];
}
