import protobuf from 'protobufjs';
import { PULSAR_API_SCHEMA } from './pulsar-api-schema.js';

const root = protobuf.parse(PULSAR_API_SCHEMA, { keepCase: false }).root;

/** A 64-bit field as protobufjs decodes it: a plain number, or a Long when the value needs one. */
export type U64 = number | { toNumber(): number; toSigned?(): { toNumber(): number } };

/**
 * A 64-bit field as a number. Read as signed: Pulsar writes "none" (an empty topic's last entry, a
 * cursor before the first entry) as -1 into unsigned fields, and no real id or time comes near 2^63.
 */
export const u64 = (v: U64 | null | undefined): number =>
  v == null ? 0 : typeof v === 'number' ? v : (v.toSigned ? v.toSigned() : v).toNumber();

export interface KeyValue { key: string; value: string }

export interface MessageIdData {
  ledgerId: U64;
  entryId: U64;
  partition?: number;
  batchIndex?: number;
  batchSize?: number;
}

export interface MessageMetadata {
  producerName: string;
  sequenceId: U64;
  publishTime: U64;
  properties?: KeyValue[];
  partitionKey?: string;
  compression?: number;
  uncompressedSize?: number;
  numMessagesInBatch?: number;
  highestSequenceId?: U64;
  eventTime?: U64;
  orderingKey?: Uint8Array;
  deliverAtTime?: U64;
  markerType?: number;
  nullValue?: boolean;
  numChunksFromMsg?: number;
}

export interface SingleMessageMetadata {
  properties?: KeyValue[];
  partitionKey?: string;
  payloadSize: number;
  compactedOut?: boolean;
  eventTime?: U64;
  orderingKey?: Uint8Array;
  sequenceId?: U64;
  nullValue?: boolean;
}

export interface AuthData { authMethodName?: string; authData?: Uint8Array }

export interface BrokerEntryMetadata { brokerTimestamp?: U64; index?: U64 }

/** BaseCommand with the sub-commands this client reads or writes; each is optional as on the wire. */
export interface BaseCommand {
  type: number;
  connect?: {
    clientVersion: string; protocolVersion?: number; authMethodName?: string; authData?: Uint8Array;
    featureFlags?: { supportsBrokerEntryMetadata?: boolean; supportsAuthRefresh?: boolean };
  };
  authChallenge?: { serverVersion?: string; challenge?: AuthData; protocolVersion?: number };
  authResponse?: { clientVersion?: string; response?: AuthData; protocolVersion?: number };
  connected?: { serverVersion: string; protocolVersion?: number; maxMessageSize?: number };
  subscribe?: {
    topic: string; subscription: string; subType: number; consumerId: U64; requestId: U64; consumerName?: string;
    durable?: boolean; startMessageId?: MessageIdData; readCompacted?: boolean; initialPosition?: number;
  };
  producer?: { topic: string; producerId: U64; requestId: U64; producerName?: string; producerAccessMode?: number; topicEpoch?: U64 };
  send?: { producerId: U64; sequenceId: U64; numMessages?: number; highestSequenceId?: U64 };
  sendReceipt?: { producerId: U64; sequenceId: U64; messageId?: MessageIdData; highestSequenceId?: U64 };
  sendError?: { producerId: U64; sequenceId: U64; error: number; message: string };
  message?: { consumerId: U64; messageId: MessageIdData; redeliveryCount?: number };
  ack?: { consumerId: U64; ackType: number; messageId: MessageIdData[]; requestId?: U64 };
  flow?: { consumerId: U64; messagePermits: number };
  unsubscribe?: { consumerId: U64; requestId: U64 };
  success?: { requestId: U64 };
  error?: { requestId: U64; error: number; message: string };
  closeProducer?: { producerId: U64; requestId: U64 };
  closeConsumer?: { consumerId: U64; requestId: U64 };
  producerSuccess?: { requestId: U64; producerName: string; lastSequenceId?: U64; topicEpoch?: U64; producerReady?: boolean };
  ping?: Record<string, never>;
  pong?: Record<string, never>;
  partitionMetadata?: { topic: string; requestId: U64 };
  partitionMetadataResponse?: { partitions?: number; requestId: U64; response?: number; error?: number; message?: string };
  lookupTopic?: { topic: string; requestId: U64; authoritative?: boolean };
  lookupTopicResponse?: {
    brokerServiceUrl?: string; brokerServiceUrlTls?: string; response?: number; requestId: U64; authoritative?: boolean; error?: number; message?: string;
    proxyThroughServiceUrl?: boolean;
  };
  reachedEndOfTopic?: { consumerId: U64 };
  seek?: { consumerId: U64; requestId: U64; messageId?: MessageIdData; messagePublishTime?: U64 };
  getLastMessageId?: { consumerId: U64; requestId: U64 };
  getLastMessageIdResponse?: { lastMessageId: MessageIdData; requestId: U64; consumerMarkDeletePosition?: MessageIdData };
  activeConsumerChange?: { consumerId: U64; isActive?: boolean };
  topicMigrated?: { resourceId: U64; resourceType: number; brokerServiceUrl?: string };
}

export const CommandType = {
  CONNECT: 2, CONNECTED: 3, SUBSCRIBE: 4, PRODUCER: 5, SEND: 6, SEND_RECEIPT: 7, SEND_ERROR: 8, MESSAGE: 9, ACK: 10,
  FLOW: 11, UNSUBSCRIBE: 12, SUCCESS: 13, ERROR: 14, CLOSE_PRODUCER: 15, CLOSE_CONSUMER: 16, PRODUCER_SUCCESS: 17,
  PING: 18, PONG: 19, PARTITIONED_METADATA: 21, PARTITIONED_METADATA_RESPONSE: 22, LOOKUP: 23, LOOKUP_RESPONSE: 24,
  REACHED_END_OF_TOPIC: 27, SEEK: 28, GET_LAST_MESSAGE_ID: 29, GET_LAST_MESSAGE_ID_RESPONSE: 30,
  ACTIVE_CONSUMER_CHANGE: 31, AUTH_CHALLENGE: 36, AUTH_RESPONSE: 37, TOPIC_MIGRATED: 68,
} as const;

export const ProducerAccessMode = { Shared: 0, Exclusive: 1, WaitForExclusive: 2, ExclusiveWithFencing: 3 } as const;
export const SubType = { Exclusive: 0, Shared: 1, Failover: 2, KeyShared: 3 } as const;
export const InitialPosition = { Latest: 0, Earliest: 1 } as const;
export const LookupType = { Redirect: 0, Connect: 1, Failed: 2 } as const;
export const AckType = { Individual: 0, Cumulative: 1 } as const;

/** ServerError names by value, for error messages. */
export const serverErrorName = (code: number): string =>
  (root.lookupEnum('pulsar.proto.ServerError').valuesById[code] as string | undefined) ?? `ServerError(${code})`;

/** Errors after which the operation may succeed on a fresh lookup or a later retry. */
export const RETRIABLE_SERVER_ERRORS = new Set([0, 1, 2, 6, 14]);

interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

function codec<T>(name: string): Codec<T> {
  const type = root.lookupType(`pulsar.proto.${name}`);
  return {
    // protobufjs encodes plain objects directly; skipping fromObject keeps the send path free of copies.
    encode: (value) => type.encode(value as Record<string, unknown>).finish(),
    decode: (bytes) => type.decode(bytes) as unknown as T,
  };
}

export const BaseCommandCodec = codec<BaseCommand>('BaseCommand');
export const MessageMetadataCodec = codec<MessageMetadata>('MessageMetadata');
export const SingleMessageMetadataCodec = codec<SingleMessageMetadata>('SingleMessageMetadata');
export const BrokerEntryMetadataCodec = codec<BrokerEntryMetadata>('BrokerEntryMetadata');
