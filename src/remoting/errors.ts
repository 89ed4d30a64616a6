/** A frame announced a size over the connection's limit; the stream cannot be resynchronised. */
export class FrameTooLargeError extends Error {
  override readonly name = 'FrameTooLargeError';
  constructor(readonly size: number, readonly limit: number) {
    super(`frame of ${size} bytes exceeds the limit of ${limit} bytes`);
  }
}

/** The bytes of a frame do not form a RemotingCommand (bad lengths, unknown serialization, invalid header). */
export class MalformedFrameError extends Error {
  override readonly name = 'MalformedFrameError';
}
