import { SingleMessageMetadataCodec, type SingleMessageMetadata } from './pulsar-api.js';
import { PulsarFrameError } from './frame-codec.js';

export interface BatchEntry {
  metadata: SingleMessageMetadata;
  payload: Buffer;
}

/**
 * A batch payload: for each message, its metadata size, SingleMessageMetadata, then its bytes. Each metadata's
 * payloadSize is overwritten with its payload's length (set in place: a copy of each would cost more than its encoding).
 */
export function encodeBatch(entries: ReadonlyArray<{ metadata: SingleMessageMetadata; payload: Buffer }>): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    e.metadata.payloadSize = e.payload.length;
    const meta = SingleMessageMetadataCodec.encode(e.metadata);
    const size = Buffer.allocUnsafe(4);
    size.writeUInt32BE(meta.length, 0);
    parts.push(size, Buffer.from(meta.buffer, meta.byteOffset, meta.length), e.payload);
  }
  return Buffer.concat(parts);
}

export function decodeBatch(payload: Buffer, count: number): BatchEntry[] {
  const entries: BatchEntry[] = [];
  let o = 0;
  for (let i = 0; i < count; i++) {
    if (payload.length - o < 4) throw new PulsarFrameError(`batch ends after ${i} of ${count} messages`);
    const metaSize = payload.readUInt32BE(o);
    o += 4;
    if (o + metaSize > payload.length) throw new PulsarFrameError('batch entry metadata overruns the payload');
    const metadata = SingleMessageMetadataCodec.decode(payload.subarray(o, o + metaSize));
    o += metaSize;
    if (o + metadata.payloadSize > payload.length) throw new PulsarFrameError('batch entry payload overruns the payload');
    entries.push({ metadata, payload: payload.subarray(o, o + metadata.payloadSize) });
    o += metadata.payloadSize;
  }
  return entries;
}
