/** apache.rocketmq.v2.Code values the gateway answers with (the clients map them to their exceptions). */
export const Code = {
  OK: 'OK',
  MULTIPLE_RESULTS: 'MULTIPLE_RESULTS',
  BAD_REQUEST: 'BAD_REQUEST',
  ILLEGAL_TOPIC: 'ILLEGAL_TOPIC',
  ILLEGAL_CONSUMER_GROUP: 'ILLEGAL_CONSUMER_GROUP',
  ILLEGAL_FILTER_EXPRESSION: 'ILLEGAL_FILTER_EXPRESSION',
  ILLEGAL_INVISIBLE_TIME: 'ILLEGAL_INVISIBLE_TIME',
  INVALID_RECEIPT_HANDLE: 'INVALID_RECEIPT_HANDLE',
  MESSAGE_NOT_FOUND: 'MESSAGE_NOT_FOUND',
  ILLEGAL_MESSAGE_GROUP: 'ILLEGAL_MESSAGE_GROUP',
  ILLEGAL_MESSAGE_PROPERTY_KEY: 'ILLEGAL_MESSAGE_PROPERTY_KEY',
  ILLEGAL_MESSAGE_ID: 'ILLEGAL_MESSAGE_ID',
  ILLEGAL_DELIVERY_TIME: 'ILLEGAL_DELIVERY_TIME',
  CLIENT_ID_REQUIRED: 'CLIENT_ID_REQUIRED',
  INVALID_TRANSACTION_ID: 'INVALID_TRANSACTION_ID',
  FORBIDDEN: 'FORBIDDEN',
  TOPIC_NOT_FOUND: 'TOPIC_NOT_FOUND',
  MESSAGE_BODY_TOO_LARGE: 'MESSAGE_BODY_TOO_LARGE',
  MESSAGE_BODY_EMPTY: 'MESSAGE_BODY_EMPTY',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  HA_NOT_AVAILABLE: 'HA_NOT_AVAILABLE',
  NOT_IMPLEMENTED: 'NOT_IMPLEMENTED',
  UNSUPPORTED: 'UNSUPPORTED',
} as const;
export type Code = (typeof Code)[keyof typeof Code];

export interface Status {
  code: Code;
  message: string;
}

export const ok = (): Status => ({ code: Code.OK, message: 'OK' });

/** A refusal a handler raises; it becomes the status of its response, never a gRPC error. */
export class GrpcStatusError extends Error {
  constructor(readonly code: Code, message: string) {
    super(message);
  }
}
