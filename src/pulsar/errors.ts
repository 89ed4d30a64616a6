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
