import { crc32 } from 'node:zlib';
import type { NewMessage, StoredMessage } from '../message-store.js';

/**
 * One record of a queue segment:
 *   0 u32 record length (all bytes, this field included)   4 u32 CRC-32 of bytes [8, length)
 *   8 u64 queue offset  16 u64 store time  24 u64 born time  32 i32 flag  36 i32 sysFlag
 *  40 i32 reconsume times  44 i64 prepared-transaction offset
 *  52 u16 born-host length + UTF-8, u32 body length + body, u32 properties length + properties
 * Properties are `name \x01 value \x02` pairs, a compact map encoding that needs no escaping
 * for the names and values messaging systems use.
 */
export const RECORD_FIXED = 52;
export const STORE_TIME_POS = 16;
const MIN_RECORD = RECORD_FIXED + 2 + 4 + 4;

const encodeMap = (m: ReadonlyMap<string, string>): string => {
  let s = '';
  for (const [k, v] of m) s += k + '\u0001' + v + '\u0002';
  return s;
};

const decodeMap = (s: string): Map<string, string> => {
  const m = new Map<string, string>();
  let i = 0;
  while (i < s.length) {
    let end = s.indexOf('\u0002', i);
    if (end < 0) end = s.length;
    const sep = s.indexOf('\u0001', i);
    if (sep >= i && sep < end) m.set(s.slice(i, sep), s.slice(sep + 1, end));
    i = end + 1;
  }
  return m;
};

export function encodedSize(msg: NewMessage, props: Buffer): number {
  return RECORD_FIXED + 2 + Buffer.byteLength(msg.bornHost) + 4 + msg.body.length + 4 + props.length;
}

export function encodeProps(msg: NewMessage): Buffer {
  return Buffer.from(encodeMap(msg.properties), 'utf8');
}

/**
 * A whole number below 2^53 as a big-endian 64-bit integer, without the BigInt writeBigInt64BE needs: three per
 * record on the append path otherwise. A negative one (a born time from a client's clock) takes the BigInt way.
 */
function writeWhole64(out: Buffer, n: number, pos: number): number {
  if (n < 0) return out.writeBigInt64BE(BigInt(n), pos);
  out.writeUInt32BE(Math.floor(n / 0x1_0000_0000), pos);
  return out.writeUInt32BE(n % 0x1_0000_0000, pos + 4);
}

/** Writes one record at `pos` of `out`; returns the position after it. */
export function writeRecord(out: Buffer, pos: number, msg: NewMessage, props: Buffer, queueOffset: number, storeTimestamp: number): number {
  const start = pos;
  pos += 8;
  pos = writeWhole64(out, queueOffset, pos);
  pos = writeWhole64(out, storeTimestamp, pos);
  pos = writeWhole64(out, msg.bornTimestamp, pos);
  pos = out.writeInt32BE(msg.flag, pos);
  pos = out.writeInt32BE(msg.sysFlag, pos);
  pos = out.writeInt32BE(msg.reconsumeTimes, pos);
  pos = out.writeBigInt64BE(msg.preparedTransactionOffset, pos);
  const hostLen = out.write(msg.bornHost, pos + 2, 'utf8');
  pos = out.writeUInt16BE(hostLen, pos) + hostLen;
  pos = out.writeUInt32BE(msg.body.length, pos);
  pos += msg.body.copy(out, pos);
  pos = out.writeUInt32BE(props.length, pos);
  pos += props.copy(out, pos);
  out.writeUInt32BE(pos - start, start);
  out.writeUInt32BE(crc32(out.subarray(start + 8, pos)), start + 4);
  return pos;
}

/** Length of a complete, CRC-valid record at `pos`, or 0 when the bytes there are not one (torn or garbage). */
export function validRecordLength(buf: Buffer, pos: number, expectedOffset: number): number {
  if (pos + MIN_RECORD > buf.length) return 0;
  const len = buf.readUInt32BE(pos);
  if (len < MIN_RECORD || pos + len > buf.length) return 0;
  if (crc32(buf.subarray(pos + 8, pos + len)) !== buf.readUInt32BE(pos + 4)) return 0;
  if (Number(buf.readBigUInt64BE(pos + 8)) !== expectedOffset) return 0;
  return len;
}

export function decodeRecord(buf: Buffer, pos: number, topic: string, queueId: number, locator: bigint): StoredMessage {
  let p = pos + 8;
  const queueOffset = Number(buf.readBigUInt64BE(p)); p += 8;
  const storeTimestamp = Number(buf.readBigUInt64BE(p)); p += 8;
  const bornTimestamp = Number(buf.readBigInt64BE(p)); p += 8;
  const flag = buf.readInt32BE(p); p += 4;
  const sysFlag = buf.readInt32BE(p); p += 4;
  const reconsumeTimes = buf.readInt32BE(p); p += 4;
  const preparedTransactionOffset = buf.readBigInt64BE(p); p += 8;
  const hostLen = buf.readUInt16BE(p); p += 2;
  const bornHost = buf.toString('utf8', p, p + hostLen); p += hostLen;
  const bodyLen = buf.readUInt32BE(p); p += 4;
  const body = buf.subarray(p, p + bodyLen); p += bodyLen;
  const propsLen = buf.readUInt32BE(p); p += 4;
  const properties = decodeMap(buf.toString('utf8', p, p + propsLen));
  return { topic, queueId, queueOffset, storeTimestamp, bornTimestamp, flag, sysFlag, reconsumeTimes, preparedTransactionOffset, bornHost, body, properties, locator };
}
