/**
 * The shapes of the apache.rocketmq.v2 messages this gateway reads and writes, as @grpc/proto-loader presents
 * them (see proto.ts): only the fields used here.
 */
export interface Resource {
  resourceNamespace: string;
  name: string;
}

export interface Timestamp {
  seconds: number;
  nanos: number;
}

export interface Endpoints {
  scheme: 'IPv4' | 'IPv6' | 'DOMAIN_NAME' | 'ADDRESS_SCHEME_UNSPECIFIED';
  addresses: Array<{ host: string; port: number }>;
}

export type MessageType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION' | 'MESSAGE_TYPE_UNSPECIFIED';

export interface SystemProperties {
  tag?: string;
  keys: string[];
  messageId: string;
  bodyEncoding: 'IDENTITY' | 'GZIP' | 'ENCODING_UNSPECIFIED';
  messageType: MessageType;
  bornTimestamp?: Timestamp | null;
  bornHost: string;
  deliveryTimestamp?: Timestamp | null;
  messageGroup?: string;
  traceContext?: string;
}

export interface V2Message {
  topic?: Resource | null;
  userProperties: Record<string, string>;
  systemProperties?: SystemProperties | null;
  body: Buffer;
}

export const toMillis = (t: Timestamp): number => t.seconds * 1000 + Math.floor(t.nanos / 1e6);
export const fromMillis = (ms: number): Timestamp => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
export const duration = (ms: number): Timestamp => fromMillis(ms);
