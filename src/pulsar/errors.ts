import { serverErrorName, RETRIABLE_SERVER_ERRORS } from './pulsar-api.js';

/** An error answer from the broker (CommandError, SendError, failed lookup). */
export class PulsarServerError extends Error {
  override name = 'PulsarServerError';
  readonly retriable: boolean;
  constructor(readonly code: number, message: string) {
    super(`${serverErrorName(code)}: ${message}`);
    this.retriable = RETRIABLE_SERVER_ERRORS.has(code);
  }
}

/** The connection closed (or could not open) before an answer arrived; always worth retrying. */
export class PulsarConnectionError extends Error {
  override name = 'PulsarConnectionError';
  readonly retriable = true;
}

export class PulsarTimeoutError extends Error {
  override name = 'PulsarTimeoutError';
  readonly retriable = true;
}

/**
 * Whether attaching a producer or consumer may succeed if tried again soon. Besides the retriable errors this
 * includes a broker refusing a partition whose partitioned topic was created a moment ago: its metadata cache can
 * still hold the "not found" of an earlier lookup, for a few hundred milliseconds.
 */
export function worthRetryingAttach(err: unknown): boolean {
  if (err instanceof PulsarServerError) return err.retriable || err.message.includes('Partition metadata not found');
  return err instanceof PulsarConnectionError || err instanceof PulsarTimeoutError;
}

/** How long creating a producer or consumer keeps retrying errors that `worthRetryingAttach` accepts. */
export const ATTACH_BUDGET_MS = 10_000;
