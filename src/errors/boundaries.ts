import { ResponseCode, requestCodeName } from '../protocol/request-code.js';
import { Code, type Status } from '../grpc/status-code.js';
import { BrokerError, type ErrorKind } from './broker-error.js';

/**
 * Each error kind as a remoting response code: Apache RocketMQ's broker answers, including its quirks (a queue
 * beyond the topic's and a filter type not served are SYSTEM_ERROR there, and clients act on that).
 */
export const REMOTING_RESPONSE_CODES: Readonly<Record<ErrorKind, number>> = {
  'bad-request': ResponseCode.INVALID_PARAMETER,
  'illegal-topic': ResponseCode.INVALID_PARAMETER,
  'illegal-group': ResponseCode.INVALID_PARAMETER,
  'illegal-queue': ResponseCode.SYSTEM_ERROR,
  'illegal-message': ResponseCode.MESSAGE_ILLEGAL,
  'message-too-large': ResponseCode.MESSAGE_ILLEGAL,
  'message-body-empty': ResponseCode.MESSAGE_ILLEGAL,
  'message-properties-too-large': ResponseCode.MESSAGE_ILLEGAL,
  'illegal-property-key': ResponseCode.MESSAGE_ILLEGAL,
  'illegal-message-group': ResponseCode.MESSAGE_ILLEGAL,
  'illegal-delivery-time': ResponseCode.MESSAGE_ILLEGAL,
  'illegal-message-id': ResponseCode.INVALID_PARAMETER,
  'illegal-filter': ResponseCode.SUBSCRIPTION_PARSE_FAILED,
  'unsupported-filter': ResponseCode.SYSTEM_ERROR,
  'registered-filter-invalid': ResponseCode.FILTER_DATA_NOT_EXIST,
  'subscription-not-found': ResponseCode.SUBSCRIPTION_NOT_EXIST,
  'illegal-invisible-time': ResponseCode.INVALID_PARAMETER,
  'invalid-receipt-handle': ResponseCode.INVALID_PARAMETER,
  'invalid-transaction-id': ResponseCode.INVALID_PARAMETER,
  'client-id-required': ResponseCode.INVALID_PARAMETER,
  unauthorized: ResponseCode.NO_PERMISSION,
  forbidden: ResponseCode.NO_PERMISSION,
  'topic-not-found': ResponseCode.TOPIC_NOT_EXIST,
  'group-not-found': ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST,
  'message-not-found': ResponseCode.QUERY_NOT_FOUND,
  'client-not-found': ResponseCode.CONSUMER_NOT_ONLINE,
  'client-timeout': ResponseCode.CONSUME_MSG_TIMEOUT,
  'topic-exists': ResponseCode.TOPIC_EXIST_ALREADY,
  busy: ResponseCode.SYSTEM_BUSY,
  unavailable: ResponseCode.SYSTEM_BUSY,
  // As Apache RocketMQ's broker answers a put on a full disk; the 4.x producer retries another broker on it.
  'disk-full': ResponseCode.SERVICE_NOT_AVAILABLE,
  'not-implemented': ResponseCode.REQUEST_CODE_NOT_SUPPORTED,
  internal: ResponseCode.SYSTEM_ERROR,
};

/** Each error kind as an apache.rocketmq.v2.Code, the codes the 5.x clients turn into their exceptions. */
export const GRPC_STATUS_CODES: Readonly<Record<ErrorKind, Code>> = {
  'bad-request': Code.BAD_REQUEST,
  'illegal-topic': Code.ILLEGAL_TOPIC,
  'illegal-group': Code.ILLEGAL_CONSUMER_GROUP,
  'illegal-queue': Code.BAD_REQUEST,
  'illegal-message': Code.BAD_REQUEST,
  'message-too-large': Code.MESSAGE_BODY_TOO_LARGE,
  'message-body-empty': Code.MESSAGE_BODY_EMPTY,
  'message-properties-too-large': Code.MESSAGE_PROPERTIES_TOO_LARGE,
  'illegal-property-key': Code.ILLEGAL_MESSAGE_PROPERTY_KEY,
  'illegal-message-group': Code.ILLEGAL_MESSAGE_GROUP,
  'illegal-delivery-time': Code.ILLEGAL_DELIVERY_TIME,
  'illegal-message-id': Code.ILLEGAL_MESSAGE_ID,
  'illegal-filter': Code.ILLEGAL_FILTER_EXPRESSION,
  'unsupported-filter': Code.ILLEGAL_FILTER_EXPRESSION,
  'registered-filter-invalid': Code.ILLEGAL_FILTER_EXPRESSION,
  'subscription-not-found': Code.ILLEGAL_FILTER_EXPRESSION,
  'illegal-invisible-time': Code.ILLEGAL_INVISIBLE_TIME,
  'invalid-receipt-handle': Code.INVALID_RECEIPT_HANDLE,
  'invalid-transaction-id': Code.INVALID_TRANSACTION_ID,
  'client-id-required': Code.CLIENT_ID_REQUIRED,
  unauthorized: Code.UNAUTHORIZED,
  forbidden: Code.FORBIDDEN,
  'topic-not-found': Code.TOPIC_NOT_FOUND,
  'group-not-found': Code.CONSUMER_GROUP_NOT_FOUND,
  'message-not-found': Code.MESSAGE_NOT_FOUND,
  'client-not-found': Code.NOT_FOUND,
  'client-timeout': Code.PROXY_TIMEOUT,
  'topic-exists': Code.BAD_REQUEST,
  busy: Code.TOO_MANY_REQUESTS,
  unavailable: Code.HA_NOT_AVAILABLE,
  'disk-full': Code.HA_NOT_AVAILABLE,
  'not-implemented': Code.NOT_IMPLEMENTED,
  internal: Code.INTERNAL_SERVER_ERROR,
};

/** Each error kind as the admin API's HTTP status. */
export const HTTP_STATUSES: Readonly<Record<ErrorKind, number>> = {
  'bad-request': 400,
  'illegal-topic': 400,
  'illegal-group': 400,
  'illegal-queue': 400,
  'illegal-message': 400,
  'message-too-large': 413,
  'message-body-empty': 400,
  'message-properties-too-large': 413,
  'illegal-property-key': 400,
  'illegal-message-group': 400,
  'illegal-delivery-time': 400,
  'illegal-message-id': 400,
  'illegal-filter': 400,
  'unsupported-filter': 400,
  'registered-filter-invalid': 400,
  'subscription-not-found': 404,
  'illegal-invisible-time': 400,
  'invalid-receipt-handle': 400,
  'invalid-transaction-id': 400,
  'client-id-required': 400,
  unauthorized: 401,
  forbidden: 403,
  'topic-not-found': 404,
  'group-not-found': 404,
  'message-not-found': 404,
  'client-not-found': 404,
  'client-timeout': 504,
  'topic-exists': 409,
  busy: 429,
  unavailable: 503,
  'disk-full': 507,
  'not-implemented': 501,
  internal: 500,
};

/** A BrokerError's kind; anything else thrown is a fault of the gateway. */
export const errorKindOf = (err: unknown): ErrorKind => (err instanceof BrokerError ? err.kind : 'internal');

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A failed request's remoting answer: the response code, its remark, and whether it is the gateway's fault. */
export const remotingErrorAnswer = (err: unknown): { code: number; remark: string; fault: boolean } => {
  const kind = errorKindOf(err);
  return { code: REMOTING_RESPONSE_CODES[kind], remark: messageOf(err), fault: kind === 'internal' };
};

/** A failed call's RocketMQ 5 status, carried inside its response as Apache's proxy does. */
export const grpcStatus = (err: unknown): Status => ({ code: GRPC_STATUS_CODES[errorKindOf(err)], message: messageOf(err) });

/** A failed admin call's HTTP status and JSON body. */
export const httpRefusal = (err: unknown): { statusCode: number; body: { error: string } } => ({ statusCode: HTTP_STATUSES[errorKindOf(err)], body: { error: messageOf(err) } });

/** What a remoting server needs to name request codes and answer failures in RocketMQ's terms. */
export const REMOTING_TERMS = { codeName: requestCodeName, errorAnswer: remotingErrorAnswer } as const;
