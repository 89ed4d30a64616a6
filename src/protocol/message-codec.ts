import { crc32 } from 'node:zlib';
import { MalformedFrameError } from '../remoting/errors.js';
import { BrokerError } from '../errors/broker-error.js';
import { parseSocketAddress, formatSocketAddress } from './socket-address.js';
import { formatProperties } from './message-properties.js';

/** Magic of RocketMQ's stored-message layout with a 1-byte topic length (V1) and a 2-byte one (V2). */
export const MESSAGE_MAGIC_CODE = -626843481;
export const MESSAGE_MAGIC_CODE_V2 = -626843477;

/** Bits of a message's sysFlag (Apache RocketMQ's MessageSysFlag). */
export const SysFlag = {
  COMPRESSED: 0x1,
  MULTI_TAGS: 0x2,
  TRANSACTION_PREPARED: 0x1 << 2,
  TRANSACTION_COMMIT: 0x2 << 2,
  TRANSACTION_ROLLBACK: 0x3 << 2,
  TRANSACTION_MASK: 0x3 << 2,
  BORNHOST_V6: 0x1 << 4,
  STOREHOST_V6: 0x1 << 5,
} as const;

/** A message as a producer sends it inside a SEND_BATCH_MESSAGE body. */
export interface BatchEntry {
  flag: number;
  body: Buffer;
  properties: string;
}

/**
 * Splits a batch body: per message TOTALSIZE i32, MAGICCODE i32, BODYCRC i32, FLAG i32,
 * BODY (i32 length + bytes), PROPERTIES (i16 length + UTF-8). A body that does not split so is the client's
 * mistake, refused as an illegal message.
 */
export function decodeBatchBody(buf: Buffer): BatchEntry[] {
  const malformed = (why: string) => new BrokerError('illegal-message', `the batch body is malformed: ${why}`);
  const out: BatchEntry[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (pos + 20 > buf.length) throw malformed(`message ${out.length} is cut off inside its header`);
    const total = buf.readInt32BE(pos);
    if (total < 22 || pos + total > buf.length) throw malformed(`message ${out.length} has a size of ${total} bytes, beyond the body`);
    const flag = buf.readInt32BE(pos + 12);
    const bodyLen = buf.readInt32BE(pos + 16);
    const bodyStart = pos + 20;
    if (bodyLen < 0 || bodyStart + bodyLen + 2 > pos + total) throw malformed(`message ${out.length} has a body of ${bodyLen} bytes, beyond its size`);
    const body = buf.subarray(bodyStart, bodyStart + bodyLen);
    const propsLen = buf.readInt16BE(bodyStart + bodyLen);
    const propsStart = bodyStart + bodyLen + 2;
    if (propsLen < 0 || propsStart + propsLen > pos + total) throw malformed(`message ${out.length} has properties of ${propsLen} bytes, beyond its size`);
    out.push({ flag, body, properties: buf.toString('utf8', propsStart, propsStart + propsLen) });
    pos += total;
  }
  return out;
}

/** Everything RocketMQ's stored-message layout carries. */
export interface WireMessage {
  topic: string;
  queueId: number;
  queueOffset: number;
  /** written as PHYSICALOFFSET; with the store host it forms the offsetMsgId */
  locator: bigint;
  flag: number;
  sysFlag: number;
  bornTimestamp: number;
  bornHost: string;
  storeTimestamp: number;
  reconsumeTimes: number;
  preparedTransactionOffset: bigint;
  body: Buffer;
  properties: string;
}

/** A stored message's properties field has a 16-bit length (Apache refuses more at send). */
export const MAX_PROPERTIES_BYTES = 0x7fff;

/** Body CRC as RocketMQ computes it: CRC-32 of the body, top bit cleared. */
export const bodyCrc = (body: Buffer): number => crc32(body) & 0x7fffffff;

/** A message to encode; its properties already in RocketMQ's string form, or as the map a store keeps. */
export type EncodableMessage = Omit<WireMessage, 'properties'> & { properties: string | ReadonlyMap<string, string> };

/** Encodes one message in RocketMQ's stored-message layout (what PULL_MESSAGE and VIEW_MESSAGE_BY_ID return). */
export function encodeStoredMessage(m: EncodableMessage, storeHost: string): Buffer {
  const born = parseSocketAddress(m.bornHost);
  const store = parseSocketAddress(storeHost);
  const topic = Buffer.from(m.topic, 'utf8');
  const props = Buffer.from(typeof m.properties === 'string' ? m.properties : formatProperties(m.properties), 'utf8');
  if (props.length > MAX_PROPERTIES_BYTES) throw new RangeError(`properties of ${props.length} bytes exceed RocketMQ's ${MAX_PROPERTIES_BYTES}-byte limit`);
  const v2 = topic.length > 127;
  let sysFlag = m.sysFlag & ~(SysFlag.BORNHOST_V6 | SysFlag.STOREHOST_V6);
  if (born.ip.length === 16) sysFlag |= SysFlag.BORNHOST_V6;
  if (store.ip.length === 16) sysFlag |= SysFlag.STOREHOST_V6;
  const size =
    4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + born.ip.length + 4 + 8 + store.ip.length + 4 + 4 + 8 +
    4 + m.body.length + (v2 ? 2 : 1) + topic.length + 2 + props.length;
  const b = Buffer.allocUnsafe(size);
  let p = 0;
  p = b.writeInt32BE(size, p);
  p = b.writeInt32BE(v2 ? MESSAGE_MAGIC_CODE_V2 : MESSAGE_MAGIC_CODE, p);
  p = b.writeInt32BE(bodyCrc(m.body), p);
  p = b.writeInt32BE(m.queueId, p);
  p = b.writeInt32BE(m.flag, p);
  p = b.writeBigInt64BE(BigInt(m.queueOffset), p);
  p = b.writeBigInt64BE(m.locator, p);
  p = b.writeInt32BE(sysFlag, p);
  p = b.writeBigInt64BE(BigInt(m.bornTimestamp), p);
  p += born.ip.copy(b, p);
  p = b.writeInt32BE(born.port, p);
  p = b.writeBigInt64BE(BigInt(m.storeTimestamp), p);
  p += store.ip.copy(b, p);
  p = b.writeInt32BE(store.port, p);
  p = b.writeInt32BE(m.reconsumeTimes, p);
  p = b.writeBigInt64BE(m.preparedTransactionOffset, p);
  p = b.writeInt32BE(m.body.length, p);
  p += m.body.copy(b, p);
  p = v2 ? b.writeInt16BE(topic.length, p) : b.writeInt8(topic.length, p);
  p += topic.copy(b, p);
  p = b.writeInt16BE(props.length, p);
  props.copy(b, p);
  return b;
}

/** Decodes messages in the stored-message layout (tests and tools read what the gateway serves with it). */
export function decodeStoredMessages(buf: Buffer): Array<WireMessage & { storeHost: string; bodyCrc: number }> {
  const out: Array<WireMessage & { storeHost: string; bodyCrc: number }> = [];
  let pos = 0;
  while (pos < buf.length) {
    const size = buf.readInt32BE(pos);
    if (size <= 0 || pos + size > buf.length) throw new MalformedFrameError(`stored message size ${size} is out of bounds`);
    const magic = buf.readInt32BE(pos + 4);
    if (magic !== MESSAGE_MAGIC_CODE && magic !== MESSAGE_MAGIC_CODE_V2) throw new MalformedFrameError(`bad message magic ${magic}`);
    let p = pos + 8;
    const crc = buf.readInt32BE(p); p += 4;
    const queueId = buf.readInt32BE(p); p += 4;
    const flag = buf.readInt32BE(p); p += 4;
    const queueOffset = Number(buf.readBigInt64BE(p)); p += 8;
    const locator = buf.readBigInt64BE(p); p += 8;
    const sysFlag = buf.readInt32BE(p); p += 4;
    const bornTimestamp = Number(buf.readBigInt64BE(p)); p += 8;
    const bornLen = sysFlag & SysFlag.BORNHOST_V6 ? 16 : 4;
    const bornHost = formatSocketAddress(buf.subarray(p, p + bornLen), buf.readInt32BE(p + bornLen)); p += bornLen + 4;
    const storeTimestamp = Number(buf.readBigInt64BE(p)); p += 8;
    const storeLen = sysFlag & SysFlag.STOREHOST_V6 ? 16 : 4;
    const storeHost = formatSocketAddress(buf.subarray(p, p + storeLen), buf.readInt32BE(p + storeLen)); p += storeLen + 4;
    const reconsumeTimes = buf.readInt32BE(p); p += 4;
    const preparedTransactionOffset = buf.readBigInt64BE(p); p += 8;
    const bodyLen = buf.readInt32BE(p); p += 4;
    const body = buf.subarray(p, p + bodyLen); p += bodyLen;
    const topicLen = magic === MESSAGE_MAGIC_CODE_V2 ? buf.readInt16BE(p) : buf.readInt8(p);
    p += magic === MESSAGE_MAGIC_CODE_V2 ? 2 : 1;
    const topic = buf.toString('utf8', p, p + topicLen); p += topicLen;
    const propsLen = buf.readInt16BE(p); p += 2;
    const properties = buf.toString('utf8', p, p + propsLen);
    out.push({ topic, queueId, queueOffset, locator, flag, sysFlag, bornTimestamp, bornHost, storeTimestamp, storeHost, reconsumeTimes, preparedTransactionOffset, body, properties, bodyCrc: crc });
    pos += size;
  }
  return out;
}

/** offsetMsgId: store host IP and port, then the 8-byte locator, as upper-case hex (RocketMQ's createMessageId). */
export function createOffsetMsgId(storeHost: string, locator: bigint): string {
  const { ip, port } = parseSocketAddress(storeHost);
  const b = Buffer.allocUnsafe(ip.length + 12);
  ip.copy(b, 0);
  b.writeInt32BE(port, ip.length);
  b.writeBigInt64BE(locator, ip.length + 4);
  return b.toString('hex').toUpperCase();
}

/** Inverse of createOffsetMsgId; undefined when the id is not one (wrong length or not hex). */
export function parseOffsetMsgId(id: string): { storeHost: string; locator: bigint } | undefined {
  if ((id.length !== 32 && id.length !== 56) || !/^[0-9a-fA-F]+$/.test(id)) return undefined;
  const b = Buffer.from(id, 'hex');
  const ipLen = b.length - 12;
  return { storeHost: formatSocketAddress(b.subarray(0, ipLen), b.readInt32BE(ipLen)), locator: b.readBigInt64BE(ipLen + 4) };
}
