import { FrameTooLargeError, MalformedFrameError } from './errors.js';

/** Smallest frame body: the 4-byte (serialize type | header length) word. */
const MIN_FRAME = 4;
/** Frames from this size on are gathered into one buffer of their own as they arrive (see FrameDecoder). */
export const ASSEMBLE_FROM = 1024 * 1024;
/** ES2024's ArrayBuffer constructor, with the resizable form the ES2022 typings of this build leave out. */
const ResizableArrayBuffer = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer;

/**
 * Splits a TCP byte stream into RocketMQ remoting frames. Each frame on the wire is
 * a 4-byte big-endian length L followed by L bytes; `push` returns the L-byte bodies
 * (without the prefix) that are complete so far and keeps any partial tail.
 *
 * A large frame is copied into one buffer of its size as its bytes come, rather than kept as the socket's chunks and
 * joined at the end: it never costs twice its size, and its memory goes back to the system once it is let go.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** the large frame being gathered, with its length prefix, and how much of it has arrived */
  private assembly?: { frame: Buffer; filled: number };

  constructor(private readonly maxFrameSize: number, private readonly assembleFrom = ASSEMBLE_FROM) {}

  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let rest = chunk;
    if (this.assembly) {
      const { frame } = this.assembly;
      const n = Math.min(rest.length, frame.length - this.assembly.filled);
      rest.copy(frame, this.assembly.filled, 0, n);
      this.assembly.filled += n;
      if (this.assembly.filled < frame.length) return frames;
      this.assembly = undefined;
      frames.push(frame.subarray(4));
      rest = rest.subarray(n);
      if (rest.length === 0) return frames;
    }
    this.chunks.push(rest);
    this.buffered += rest.length;
    while (this.buffered >= 4) {
      const head = this.peekLength();
      if (head > this.maxFrameSize) throw new FrameTooLargeError(head, this.maxFrameSize);
      if (head < MIN_FRAME) throw new MalformedFrameError(`frame length ${head} is below the minimum of ${MIN_FRAME}`);
      if (this.buffered < 4 + head) {
        if (4 + head >= this.assembleFrom) this.startAssembly(4 + head);
        break;
      }
      const all = this.take(4 + head);
      frames.push(all.subarray(4));
    }
    return frames;
  }

  /** Bytes held for a frame not yet complete. */
  get pending(): number {
    return this.buffered + (this.assembly?.filled ?? 0);
  }

  /** Lets go of a partial frame (its connection closed). */
  clear(): void {
    this.chunks = [];
    this.buffered = 0;
    this.assembly = undefined;
  }

  private startAssembly(size: number): void {
    // A resizable ArrayBuffer is mapped by V8 itself and unmapped when collected. A plain one of this size comes from
    // malloc, and once glibc has unmapped one it raises its mmap threshold past this size: later ones land in the heap
    // and are never given back, so a burst of abandoned frames would stay in the process for good.
    const frame = Buffer.from(new ResizableArrayBuffer(size, { maxByteLength: size }));
    let filled = 0;
    for (const c of this.chunks) filled += c.copy(frame, filled);
    this.assembly = { frame, filled };
    this.chunks = [];
    this.buffered = 0;
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
