import type { NewMessage } from '../store/message-store.js';
import { Prop } from '../protocol/message-properties.js';
import { SysFlag } from '../protocol/message-codec.js';
import { Code, GrpcStatusError } from './status-code.js';
import { toMillis, type Resource, type V2Message } from './v2-types.js';

/** RocketMQ 4.x properties that carry a v5 message group and a born host (Apache's proxy uses the same). */
export const SHARDING_KEY = '__SHARDINGKEY';
export const BORN_HOST = '__BORNHOST';

/** Property names a v5 client may not set as user properties: they are the 4.x system properties. */
const RESERVED = new Set<string>([...Object.values(Prop), SHARDING_KEY, BORN_HOST]);
const MAX_MESSAGE_GROUP_LENGTH = 64;
const MAX_DELAY_MS = 24 * 3600_000;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A RocketMQ topic name from a v5 resource: a namespace prefixes it as 4.x clients' namespaces do (`ns%topic`). */
export const topicName = (r: Resource | null | undefined): string => {
  if (!r?.name) throw new GrpcStatusError(Code.ILLEGAL_TOPIC, 'the topic name is empty');
  return r.resourceNamespace ? `${r.resourceNamespace}%${r.name}` : r.name;
};

/** "ip:port" of a gRPC peer as grpc-js reports it ("ipv4:1.2.3.4:5", "[::1]:5" or "1.2.3.4:5"). */
export function peerAddress(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const v6 = /^\[(.*)\]:(\d+)$/.exec(bare);
  if (v6) return `${v6[1] === '::1' ? '127.0.0.1' : v6[1]}:${v6[2]}`;
  return /^[\d.]+:\d+$/.test(bare) ? bare : '127.0.0.1:0';
}

/**
 * A message a v5 client sends, as the store keeps it: the same 4.x properties Apache's proxy writes, so 4.x
 * consumers see the v5 message id as their msgId (UNIQ_KEY), the tag, keys, group and delivery time.
 */
export function toNewMessage(m: V2Message, peer: string, maxBodyBytes: number, now = Date.now()): NewMessage {
  const sp = m.systemProperties;
  if (!sp?.messageId) throw new GrpcStatusError(Code.ILLEGAL_MESSAGE_ID, 'the message has no message id');
  if (m.body.length === 0) throw new GrpcStatusError(Code.MESSAGE_BODY_EMPTY, 'the message body is empty');
  if (m.body.length > maxBodyBytes) throw new GrpcStatusError(Code.MESSAGE_BODY_TOO_LARGE, `the message body of ${m.body.length} bytes exceeds ${maxBodyBytes}`);
  const properties = new Map<string, string>();
  for (const [key, value] of Object.entries(m.userProperties ?? {})) {
    if (RESERVED.has(key) || CONTROL.test(key) || key === '') throw new GrpcStatusError(Code.ILLEGAL_MESSAGE_PROPERTY_KEY, `the property key ${JSON.stringify(key)} is reserved or malformed`);
    properties.set(key, value);
  }
  properties.set(Prop.UNIQ_KEY, sp.messageId);
  if (sp.tag) properties.set(Prop.TAGS, sp.tag);
  const keys = (sp.keys ?? []).filter((k) => k !== '');
  if (keys.length > 0) properties.set(Prop.KEYS, keys.join(' '));
  if (sp.messageGroup) {
    if (sp.messageGroup.length >= MAX_MESSAGE_GROUP_LENGTH || CONTROL.test(sp.messageGroup)) {
      throw new GrpcStatusError(Code.ILLEGAL_MESSAGE_GROUP, `the message group must be under ${MAX_MESSAGE_GROUP_LENGTH} characters without control characters`);
    }
    properties.set(SHARDING_KEY, sp.messageGroup);
  }
  if (sp.deliveryTimestamp) {
    const at = toMillis(sp.deliveryTimestamp);
    if (at > now + MAX_DELAY_MS) throw new GrpcStatusError(Code.ILLEGAL_DELIVERY_TIME, 'a message may be delayed by one day at most');
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
