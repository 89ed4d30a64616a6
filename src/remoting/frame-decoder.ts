import { FrameTooLargeError, MalformedFrameError } from './errors.js';

/** Smallest frame body: the 4-byte (serialize type | header length) word. */
const MIN_FRAME = 4;

/**
 * Splits a TCP byte stream into RocketMQ remoting frames. Each frame on the wire is
 * a 4-byte big-endian length L followed by L bytes; `push` returns the L-byte bodies
 * (without the prefix) that are complete so far and keeps any partial tail.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxFrameSize: number) {}

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    while (this.buffered >= 4) {
      const head = this.peekLength();
      if (head > this.maxFrameSize) throw new FrameTooLargeError(head, this.maxFrameSize);
      if (head < MIN_FRAME) throw new MalformedFrameError(`frame length ${head} is below the minimum of ${MIN_FRAME}`);
      if (this.buffered < 4 + head) break;
      const all = this.take(4 + head);
      frames.push(all.subarray(4));
    }
    return frames;
  }

  /** Bytes held for a frame not yet complete. */
  get pending(): number {
    return this.buffered;
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readUInt32BE(0);
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.readUInt32BE(0);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const joined = Buffer.concat(this.chunks);
      out = joined.subarray(0, n);
      this.chunks = joined.length > n ? [joined.subarray(n)] : [];
    }
    this.buffered -= n;
    return out;
  }
}
