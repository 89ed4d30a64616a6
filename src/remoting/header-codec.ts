import { MalformedFrameError } from './errors.js';
import { LANGUAGES, SerializeType, type RemotingCommand } from './remoting-command.js';

type Header = Omit<RemotingCommand, 'body' | 'serializeType'>;

function asInt(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  throw new MalformedFrameError(`header field ${field} is not an integer`);
}

/** JSON header as Apache RocketMQ (fastjson) and other clients write it. */
export function decodeJsonHeader(bytes: Buffer): Header {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new MalformedFrameError(`header is not valid JSON: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new MalformedFrameError('header is not a JSON object');
  const h = raw as Record<string, unknown>;
  const extFields: Record<string, string> = {};
  if (h.extFields !== undefined && h.extFields !== null) {
    if (typeof h.extFields !== 'object' || Array.isArray(h.extFields)) throw new MalformedFrameError('header extFields is not an object');
    for (const [k, v] of Object.entries(h.extFields as Record<string, unknown>)) {
      if (v !== null && v !== undefined) extFields[k] = typeof v === 'string' ? v : String(v);
    }
  }
  return {
    code: asInt(h.code, 'code'),
    language: typeof h.language === 'string' ? h.language : 'OTHER',
    version: h.version === undefined ? 0 : asInt(h.version, 'version'),
    opaque: h.opaque === undefined ? 0 : asInt(h.opaque, 'opaque'),
    flag: h.flag === undefined ? 0 : asInt(h.flag, 'flag'),
    remark: typeof h.remark === 'string' ? h.remark : undefined,
    extFields,
  };
}

export function encodeJsonHeader(cmd: RemotingCommand): Buffer {
  const h: Record<string, unknown> = {
    code: cmd.code,
    language: cmd.language,
    version: cmd.version,
    opaque: cmd.opaque,
    flag: cmd.flag,
    extFields: cmd.extFields,
    serializeTypeCurrentRPC: 'JSON',
  };
  if (cmd.remark !== undefined) h.remark = cmd.remark;
  return Buffer.from(JSON.stringify(h), 'utf8');
}

/**
 * RocketMQ's binary header: code i16, language u8, version i16, opaque i32, flag i32,
 * remark (i32 length + UTF-8), extFields (i32 length, then entries of i16 key length + key, i32 value length + value).
 */
export function decodeRocketMqHeader(b: Buffer): Header {
  const need = (pos: number, n: number, what: string): void => {
    if (n < 0 || pos + n > b.length) throw new MalformedFrameError(`ROCKETMQ header truncated reading ${what}`);
  };
  need(0, 17, 'fixed fields');
  const code = b.readInt16BE(0);
  const langCode = b.readUInt8(2);
  const version = b.readInt16BE(3);
  const opaque = b.readInt32BE(5);
  const flag = b.readInt32BE(9);
  let pos = 13;
  const remarkLen = b.readInt32BE(pos);
  pos += 4;
  need(pos, remarkLen, 'remark');
  const remark = remarkLen > 0 ? b.toString('utf8', pos, pos + remarkLen) : undefined;
  pos += remarkLen;
  need(pos, 4, 'extFields length');
  const extLen = b.readInt32BE(pos);
  pos += 4;
  need(pos, extLen, 'extFields');
  const end = pos + extLen;
  const extFields: Record<string, string> = {};
  while (pos < end) {
    need(pos, 2, 'key length');
    const kl = b.readInt16BE(pos);
    pos += 2;
    need(pos, kl, 'key');
    const key = b.toString('utf8', pos, pos + kl);
    pos += kl;
    need(pos, 4, 'value length');
    const vl = b.readInt32BE(pos);
    pos += 4;
    if (pos + vl > end) throw new MalformedFrameError('ROCKETMQ header truncated reading value');
    need(pos, vl, 'value');
    extFields[key] = b.toString('utf8', pos, pos + vl);
    pos += vl;
  }
  return { code, language: LANGUAGES[langCode] ?? 'OTHER', version, opaque, flag, remark, extFields };
}

export function encodeRocketMqHeader(cmd: RemotingCommand): Buffer {
  const remark = cmd.remark ? Buffer.from(cmd.remark, 'utf8') : undefined;
  const entries: Array<[Buffer, Buffer]> = [];
  let extLen = 0;
  for (const [k, v] of Object.entries(cmd.extFields)) {
    const kb = Buffer.from(k, 'utf8');
    const vb = Buffer.from(v, 'utf8');
    entries.push([kb, vb]);
    extLen += 2 + kb.length + 4 + vb.length;
  }
  const out = Buffer.allocUnsafe(13 + 4 + (remark?.length ?? 0) + 4 + extLen);
  out.writeInt16BE(cmd.code, 0);
  const lang = LANGUAGES.indexOf(cmd.language as (typeof LANGUAGES)[number]);
  out.writeUInt8(lang < 0 ? LANGUAGES.indexOf('OTHER') : lang, 2);
  out.writeInt16BE(cmd.version, 3);
  out.writeInt32BE(cmd.opaque, 5);
  out.writeInt32BE(cmd.flag, 9);
  let pos = 13;
  out.writeInt32BE(remark?.length ?? 0, pos);
  pos += 4;
  if (remark) pos += remark.copy(out, pos);
  out.writeInt32BE(extLen, pos);
  pos += 4;
  for (const [kb, vb] of entries) {
    out.writeInt16BE(kb.length, pos);
    pos += 2;
    pos += kb.copy(out, pos);
    out.writeInt32BE(vb.length, pos);
    pos += 4;
    pos += vb.copy(out, pos);
  }
  return out;
}

/** Decodes one frame body (the bytes after the 4-byte total length). */
export function decodeCommand(frame: Buffer): RemotingCommand {
  if (frame.length < 4) throw new MalformedFrameError('frame shorter than its header-length word');
  const word = frame.readUInt32BE(0);
  const serializeType = (word >>> 24) & 0xff;
  const headerLength = word & 0xffffff;
  if (4 + headerLength > frame.length) throw new MalformedFrameError(`header length ${headerLength} exceeds frame length ${frame.length}`);
  const headerBytes = frame.subarray(4, 4 + headerLength);
  let header: Header;
  if (serializeType === SerializeType.JSON) header = decodeJsonHeader(headerBytes);
  else if (serializeType === SerializeType.ROCKETMQ) header = decodeRocketMqHeader(headerBytes);
  else throw new MalformedFrameError(`unknown serialize type ${serializeType}`);
  const body = frame.length > 4 + headerLength ? frame.subarray(4 + headerLength) : undefined;
  return {
    code: header.code, language: header.language, version: header.version, opaque: header.opaque, flag: header.flag,
    remark: header.remark, extFields: header.extFields, body, serializeType: serializeType as SerializeType,
  };
}

/**
 * Encodes a command as the buffers of one frame: length prefix and header first, then the body
 * untouched, so large bodies are written to the socket without another copy.
 */
export function encodeCommand(cmd: RemotingCommand): Buffer[] {
  const header = cmd.serializeType === SerializeType.ROCKETMQ ? encodeRocketMqHeader(cmd) : encodeJsonHeader(cmd);
  const bodyLen = cmd.body?.length ?? 0;
  const head = Buffer.allocUnsafe(8 + header.length);
  head.writeUInt32BE(4 + header.length + bodyLen, 0);
  head.writeUInt32BE(((cmd.serializeType & 0xff) << 24) | header.length, 4);
  header.copy(head, 8);
  return bodyLen > 0 ? [head, cmd.body!] : [head];
}
