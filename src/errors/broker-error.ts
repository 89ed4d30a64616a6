/**
 * What went wrong with a request, in the gateway's own terms. Each protocol boundary (remoting response codes,
 * RocketMQ 5 status codes, HTTP statuses) maps every kind through its own table in `boundaries.ts`.
 */
export const ERROR_KINDS = [
  'bad-request',
  'illegal-topic',
  'illegal-group',
  'illegal-queue',
  'illegal-message',
  'message-too-large',
  'message-body-empty',
  'message-properties-too-large',
  'illegal-property-key',
  'illegal-message-group',
  'illegal-delivery-time',
  'illegal-message-id',
  'illegal-filter',
  'unsupported-filter',
  'registered-filter-invalid',
  'subscription-not-found',
  'illegal-invisible-time',
  'invalid-receipt-handle',
  'invalid-transaction-id',
  'client-id-required',
  'unauthorized',
  'forbidden',
  'topic-not-found',
  'group-not-found',
  'message-not-found',
  'client-not-found',
  'client-timeout',
  'topic-exists',
  'busy',
  'unavailable',
  'disk-full',
  'not-implemented',
  'internal',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

/** A request refused or failed for a reason the client is told: `kind` picks the answer, the message says why. */
export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  constructor(readonly kind: ErrorKind, message: string) {
    super(message);
  }
}
