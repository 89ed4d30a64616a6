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

/**
 * An exclusive producer lost its topic to another producer (PIP-68 fencing): it is closed for good, and what it
 * had pending or sends later fails with this error. `cause` is the broker's answer to its attempt to re-attach.
 */
export class PulsarProducerFencedError extends Error {
  override name = 'PulsarProducerFencedError';
  readonly retriable = false;
  constructor(readonly topic: string, override readonly cause: PulsarServerError) {
    super(`producer on ${topic} was fenced: ${cause.message}`);
  }
}

/**
 * Pulsar refused this client's credentials (a wrong or expired token, no permission) or this client refused
 * Pulsar's certificate: retrying will not help until someone changes the configuration.
 */
export class PulsarAccessError extends Error {
  override name = 'PulsarAccessError';
  readonly retriable = false;
}

export class PulsarTimeoutError extends Error {
  override name = 'PulsarTimeoutError';
  readonly retriable = true;
}

/**
 * Whether attaching a producer or consumer may succeed if tried again soon: a broker still starting, a topic
 * being moved or unloaded, a connection that dropped. Anything else is the caller's to handle.
 */
export function worthRetryingAttach(err: unknown): boolean {
  if (err instanceof PulsarServerError) return err.retriable;
  return err instanceof PulsarConnectionError || err instanceof PulsarTimeoutError;
}

/** How long creating a producer or consumer keeps retrying errors that `worthRetryingAttach` accepts. */
export const ATTACH_BUDGET_MS = 10_000;
