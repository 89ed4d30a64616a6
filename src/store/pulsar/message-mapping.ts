import type { NewMessage, StoredMessage } from '../message-store.js';
import type { OutgoingMessage } from '../../pulsar/producer.js';
import type { ReceivedMessage } from '../../pulsar/consumer.js';

/**
 * How a RocketMQ message is written as a Pulsar message and read back. A Pulsar consumer sees the body
 * as payload, the first of KEYS as the message key, and TAGS, KEYS and every user or system property as
 * properties under their RocketMQ names. The RocketMQ header fields Pulsar has no place for ride along
 * as `__rop.*` properties. A message from a Pulsar producer (no `__rop.*`) reads back as an ordinary
 * RocketMQ message: its key as KEYS, no tag, born at its event (or publish) time.
 */
const KEYS = 'KEYS';
const KEY_SEPARATOR = ' ';
const ROP = {
  flag: '__rop.flag',
  sysFlag: '__rop.sysFlag',
  bornTimestamp: '__rop.bornTs',
  bornHost: '__rop.bornHost',
  reconsumeTimes: '__rop.reconsumeTimes',
  preparedTransactionOffset: '__rop.ptxOffset',
} as const;
const ROP_PREFIX = '__rop.';
const UNKNOWN_HOST = '0.0.0.0:0';

export function toPulsarMessage(m: NewMessage): OutgoingMessage {
  const properties: Record<string, string> = {};
  for (const [k, v] of m.properties) properties[k] = v;
  if (m.flag) properties[ROP.flag] = String(m.flag);
  if (m.sysFlag) properties[ROP.sysFlag] = String(m.sysFlag);
  properties[ROP.bornHost] = m.bornHost;
  if (m.reconsumeTimes) properties[ROP.reconsumeTimes] = String(m.reconsumeTimes);
  if (m.preparedTransactionOffset) properties[ROP.preparedTransactionOffset] = m.preparedTransactionOffset.toString();
  const firstKey = m.properties.get(KEYS)?.split(KEY_SEPARATOR).find((k) => k.length > 0);
  const out: OutgoingMessage = { payload: m.body, properties, eventTime: m.bornTimestamp };
  if (firstKey) out.key = firstKey;
  return out;
}

export interface QueuePosition {
  topic: string;
  queueId: number;
  queueOffset: number;
  locator: bigint;
}

export function fromPulsarMessage(r: ReceivedMessage, at: QueuePosition): StoredMessage {
  const properties = new Map<string, string>();
  let flag = 0;
  let sysFlag = 0;
  let bornHost = UNKNOWN_HOST;
  let reconsumeTimes = 0;
  let preparedTransactionOffset = 0n;
  for (const [k, v] of r.properties) {
    if (!k.startsWith(ROP_PREFIX)) {
      properties.set(k, v);
      continue;
    }
    switch (k) {
      case ROP.flag: flag = Number(v) | 0; break;
      case ROP.sysFlag: sysFlag = Number(v) | 0; break;
      case ROP.bornHost: bornHost = v; break;
      case ROP.reconsumeTimes: reconsumeTimes = Number(v) | 0; break;
      case ROP.preparedTransactionOffset: preparedTransactionOffset = BigInt(v); break;
    }
  }
  if (!properties.has(KEYS) && r.key) properties.set(KEYS, r.key);
  const storeTimestamp = r.brokerTimestamp ?? r.publishTime;
  return {
    topic: at.topic,
    queueId: at.queueId,
    queueOffset: at.queueOffset,
    locator: at.locator,
    body: r.payload,
    flag,
    sysFlag,
    properties,
    bornTimestamp: r.eventTime || r.publishTime,
    bornHost,
    reconsumeTimes,
    preparedTransactionOffset,
    storeTimestamp,
  };
}
