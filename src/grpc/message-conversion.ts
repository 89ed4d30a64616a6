import { createHash } from 'node:crypto';
import type { NewMessage, StoredMessage } from '../store/message-store.js';
import type { PoppedMessage } from '../broker/pop-consumption-service.js';
import { createOffsetMsgId } from '../protocol/message-codec.js';
import { Prop } from '../protocol/message-properties.js';
import { SysFlag } from '../protocol/message-codec.js';
import { BrokerError } from '../errors/broker-error.js';
import { fromMillis, toMillis, type MessageType, type Resource, type V2Message } from './v2-types.js';
import { checkV5Fields } from './v5-message-rules.js';

/** RocketMQ 4.x properties that carry a v5 message group and a born host (Apache's proxy uses the same). */
export const SHARDING_KEY = '__SHARDINGKEY';
export const BORN_HOST = '__BORNHOST';

/** Property names a v5 client may not set as user properties: they are the 4.x system properties. */
const RESERVED = new Set<string>([...Object.values(Prop), SHARDING_KEY, BORN_HOST]);
const MAX_DELAY_MS = 24 * 3600_000;

/** A RocketMQ topic or group name from a v5 resource: a namespace prefixes it as 4.x clients' namespaces do (`ns%name`). */
export const resourceName = (r: Resource | null | undefined, what = 'topic'): string => {
  if (!r?.name) throw new BrokerError(what === 'topic' ? 'illegal-topic' : 'illegal-group', `the ${what} name is empty`);
  return r.resourceNamespace ? `${r.resourceNamespace}%${r.name}` : r.name;
};

/** The v5 resource of a RocketMQ name, the namespace split off again. */
export function resourceOf(name: string): Resource {
  const cut = name.indexOf('%');
  return cut > 0 && !name.startsWith('%') ? { resourceNamespace: name.slice(0, cut), name: name.slice(cut + 1) } : { resourceNamespace: '', name };
}

/** "ip:port" of a gRPC peer as grpc-js reports it ("ipv4:1.2.3.4:5", "[::1]:5" or "1.2.3.4:5"). */
export function peerAddress(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const v6 = /^\[(.*)\]:(\d+)$/.exec(bare);
  if (v6) return `${v6[1] === '::1' ? '127.0.0.1' : v6[1]}:${v6[2]}`;
  return /^[\d.]+:\d+$/.test(bare) ? bare : '127.0.0.1:0';
}

/**
 * A message a v5 client sends, as the store keeps it: the same 4.x properties Apache's proxy writes, so 4.x
 * consumers see the v5 message id as their msgId (UNIQ_KEY), the tag, keys, group and delivery time. Its fields
 * are checked as Apache's proxy checks them; its body and properties then pass the door every send passes.
 */
export function toNewMessage(m: V2Message, peer: string, now = Date.now()): NewMessage {
  const sp = m.systemProperties;
  if (!sp?.messageId) throw new BrokerError('illegal-message-id', 'the message has no message id');
  if (m.body.length === 0) throw new BrokerError('message-body-empty', 'the message body is empty');
  checkV5Fields(m, RESERVED);
  const properties = new Map<string, string>(Object.entries(m.userProperties ?? {}));
  properties.set(Prop.UNIQ_KEY, sp.messageId);
  if (sp.tag) properties.set(Prop.TAGS, sp.tag);
  const keys = (sp.keys ?? []).filter((k) => k !== '');
  if (keys.length > 0) properties.set(Prop.KEYS, keys.join(' '));
  if (sp.messageGroup) properties.set(SHARDING_KEY, sp.messageGroup);
  if (sp.deliveryTimestamp) {
    const at = toMillis(sp.deliveryTimestamp);
    if (at > now + MAX_DELAY_MS) throw new BrokerError('illegal-delivery-time', 'a message may be delayed by one day at most');
    properties.set(Prop.TIMER_DELIVER_MS, String(at));
  }
  if (sp.traceContext) properties.set('TRACE_CONTEXT', sp.traceContext);
  if (sp.bornHost) properties.set(BORN_HOST, sp.bornHost);
  return {
    body: m.body,
    flag: 0,
    sysFlag: sp.bodyEncoding === 'GZIP' ? SysFlag.COMPRESSED : 0,
    properties,
    bornTimestamp: sp.bornTimestamp ? toMillis(sp.bornTimestamp) : now,
    bornHost: peerAddress(peer),
    reconsumeTimes: 0,
    preparedTransactionOffset: 0n,
  };
}

function messageTypeOf(m: StoredMessage): MessageType {
  // A committed message has lost its prepared mark, but keeps the commit in its flag.
  if (m.properties.get(Prop.TRANSACTION_PREPARED) === 'true' || (m.sysFlag & SysFlag.TRANSACTION_MASK) === SysFlag.TRANSACTION_COMMIT) return 'TRANSACTION';
  if (m.properties.has(SHARDING_KEY)) return 'FIFO';
  if ([Prop.TIMER_DELIVER_MS, Prop.TIMER_OUT_MS, Prop.TIMER_DELAY_SEC, Prop.TIMER_DELAY_MS, Prop.DELAY_TIME_LEVEL].some((p) => m.properties.has(p))) return 'DELAY';
  return 'NORMAL';
}

/**
 * A stored message as a v5 client receives it, whichever protocol sent it: 4.x system properties become
 * system fields, the rest user properties. The body digest is MD5 in uppercase hex, the one form both the
 * Java and the Node client check alike (and the Node client fails on a message without one). A message sent
 * for a check or a verification, not delivered by a pop, has no receipt handle.
 */
export function toV2Message(m: StoredMessage, storeHost: string, delivery?: Pick<PoppedMessage, 'deliveryAttempt'> & Partial<Pick<PoppedMessage, 'receiptHandle'>>): Record<string, unknown> {
  const userProperties: Record<string, string> = {};
  for (const [key, value] of m.properties) if (!RESERVED.has(key)) userProperties[key] = value;
  // A 4.x producer may have asked for a delay (TIMER_DELAY_SEC, TIMER_DELAY_MS) rather than a time: TIMER_OUT_MS is when it fell due.
  const deliverAt = m.properties.get(Prop.TIMER_DELIVER_MS) ?? m.properties.get(Prop.TIMER_OUT_MS);
  const keys = (m.properties.get(Prop.KEYS) ?? '').split(' ').filter((k) => k !== '');
  return {
    topic: resourceOf(m.topic),
    userProperties,
    body: m.body,
    systemProperties: {
      tag: m.properties.get(Prop.TAGS),
      keys,
      messageId: m.properties.get(Prop.UNIQ_KEY) ?? createOffsetMsgId(storeHost, m.locator),
      bodyDigest: { type: 'MD5', checksum: createHash('md5').update(m.body).digest('hex').toUpperCase() },
      bodyEncoding: m.sysFlag & SysFlag.COMPRESSED ? 'GZIP' : 'IDENTITY',
      messageType: messageTypeOf(m),
      bornTimestamp: fromMillis(m.bornTimestamp),
      bornHost: m.properties.get(BORN_HOST) ?? m.bornHost,
      storeTimestamp: fromMillis(m.storeTimestamp),
      storeHost,
      deliveryTimestamp: deliverAt !== undefined ? fromMillis(Number(deliverAt)) : undefined,
      receiptHandle: delivery?.receiptHandle,
      queueId: m.queueId,
      queueOffset: m.queueOffset,
      deliveryAttempt: delivery?.deliveryAttempt,
      messageGroup: m.properties.get(SHARDING_KEY),
    },
  };
}
