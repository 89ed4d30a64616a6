import { crc32c } from './crc32c.js';
import {
  BaseCommandCodec, BrokerEntryMetadataCodec, MessageMetadataCodec,
  type BaseCommand, type BrokerEntryMetadata, type MessageMetadata,
} from './pulsar-api.js';

/** Frame layout facts of the Pulsar binary protocol. */
const MAGIC_CRC32C = 0x0e01;
const MAGIC_BROKER_ENTRY_METADATA = 0x0e02;
/** Pulsar's default maxMessageSize (5 MiB) plus the broker's allowance for command and metadata. */
export const DEFAULT_MAX_FRAME_SIZE = 5 * 1024 * 1024 + 10 * 1024;

export class PulsarFrameError extends Error {
  override name = 'PulsarFrameError';
}

/** The message part of a payload command (SEND or MESSAGE). */
export interface PayloadFrame {
  brokerEntryMetadata?: BrokerEntryMetadata;
  metadata: MessageMetadata;
  /** Raw payload: one message, or a batch of `metadata.numMessagesInBatch` single messages. */
  payload: Buffer;
  /** False when a CRC32C was present and did not match. */
  checksumValid: boolean;
}

export interface Frame {
  command: BaseCommand;
  payload?: PayloadFrame;
}

export function encodeCommand(command: BaseCommand): Buffer {
  const cmd = BaseCommandCodec.encode(command);
  const out = Buffer.allocUnsafe(8 + cmd.length);
  out.writeUInt32BE(4 + cmd.length, 0);
  out.writeUInt32BE(cmd.length, 4);
  out.set(cmd, 8);
  return out;
}

/** A SEND frame: command, then magic, CRC32C over (metadata size, metadata, payload), metadata and payload. */
export function encodePayloadCommand(command: BaseCommand, metadata: MessageMetadata, payload: Buffer): Buffer {
  const cmd = BaseCommandCodec.encode(command);
  const meta = MessageMetadataCodec.encode(metadata);
  const total = 4 + cmd.length + 2 + 4 + 4 + meta.length + payload.length;
  const out = Buffer.allocUnsafe(4 + total);
  let o = 0;
  o = out.writeUInt32BE(total, o);
  o = out.writeUInt32BE(cmd.length, o);
  out.set(cmd, o);
  o += cmd.length;
  o = out.writeUInt16BE(MAGIC_CRC32C, o);
  const checksumAt = o;
  o += 4;
  const checkedFrom = o;
  o = out.writeUInt32BE(meta.length, o);
  out.set(meta, o);
  o += meta.length;
  payload.copy(out, o);
  out.writeUInt32BE(crc32c(out.subarray(checkedFrom)), checksumAt);
  return out;
}

/** Splits a byte stream into Pulsar frames; holds partial frames until they are complete. */
export class PulsarFrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxFrameSize = DEFAULT_MAX_FRAME_SIZE) {}

  /** Feeds bytes; returns every frame now complete. Throws PulsarFrameError on a malformed or oversize frame. */
  push(chunk: Buffer): Frame[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const frames: Frame[] = [];
    if (this.pendingBytes < 4) return frames;
    let data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    let offset = 0;
    while (data.length - offset >= 4) {
      const total = data.readUInt32BE(offset);
      if (total > this.maxFrameSize) throw new PulsarFrameError(`frame of ${total} bytes exceeds the limit of ${this.maxFrameSize}`);
      if (total < 4) throw new PulsarFrameError(`frame size ${total} is too small`);
      if (data.length - offset - 4 < total) break;
      frames.push(decodeFrame(data.subarray(offset + 4, offset + 4 + total)));
      offset += 4 + total;
    }
    data = data.subarray(offset);
    this.pending = data.length ? [data] : [];
    this.pendingBytes = data.length;
    return frames;
  }
}

/** Decodes one frame body (everything after the total-size field). */
export function decodeFrame(body: Buffer): Frame {
  const cmdSize = body.readUInt32BE(0);
  if (4 + cmdSize > body.length) throw new PulsarFrameError(`command size ${cmdSize} overruns a ${body.length}-byte frame`);
  let command: BaseCommand;
  try {
    command = BaseCommandCodec.decode(body.subarray(4, 4 + cmdSize));
  } catch (err) {
    throw new PulsarFrameError(`undecodable command: ${(err as Error).message}`);
  }
  let o = 4 + cmdSize;
  if (o === body.length) return { command };

  let brokerEntryMetadata: BrokerEntryMetadata | undefined;
  if (body.length - o >= 2 && body.readUInt16BE(o) === MAGIC_BROKER_ENTRY_METADATA) {
    const size = body.readUInt32BE(o + 2);
    o += 6;
    brokerEntryMetadata = BrokerEntryMetadataCodec.decode(body.subarray(o, o + size));
    o += size;
  }
  let checksumValid = true;
  if (body.length - o >= 2 && body.readUInt16BE(o) === MAGIC_CRC32C) {
    const expected = body.readUInt32BE(o + 2);
    o += 6;
    checksumValid = crc32c(body.subarray(o)) === expected;
  }
  if (body.length - o < 4) throw new PulsarFrameError('payload frame without message metadata');
  const metaSize = body.readUInt32BE(o);
  o += 4;
  if (o + metaSize > body.length) throw new PulsarFrameError(`metadata size ${metaSize} overruns the frame`);
  let metadata: MessageMetadata;
  try {
    metadata = MessageMetadataCodec.decode(body.subarray(o, o + metaSize));
  } catch (err) {
    throw new PulsarFrameError(`undecodable message metadata: ${(err as Error).message}`);
  }
  o += metaSize;
  return { command, payload: { brokerEntryMetadata, metadata, payload: body.subarray(o), checksumValid } };
}
