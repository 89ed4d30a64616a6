/** How a command's header is serialized on the wire; the top byte of the header-length word. */
export const SerializeType = { JSON: 0, ROCKETMQ: 1 } as const;
export type SerializeType = (typeof SerializeType)[keyof typeof SerializeType];

/** Bit 0 of `flag`: set on responses. Bit 1: the request expects no response. */
export const RESPONSE_FLAG = 0x1;
export const ONEWAY_FLAG = 0x2;

/** RocketMQ's LanguageCode enum, in wire order. */
export const LANGUAGES = ['JAVA', 'CPP', 'DOTNET', 'PYTHON', 'DELPHI', 'ERLANG', 'RUBY', 'OTHER', 'HTTP', 'GO', 'PHP', 'OMS', 'RUST', 'NODE_JS'] as const;

/** Version this gateway reports in its own commands: the ordinal of V4_9_4 in RocketMQ's MQVersion.Version (4.9.x and 5.x alike). */
export const GATEWAY_VERSION = 401;
/** GATEWAY_VERSION's name in RocketMQ's MQVersion, as admin tools print versions. */
export const GATEWAY_VERSION_NAME = 'V4_9_4';

/** One remoting request or response, independent of how its header was serialized. */
export interface RemotingCommand {
  code: number;
  language: string;
  version: number;
  opaque: number;
  flag: number;
  remark?: string;
  extFields: Record<string, string>;
  body?: Buffer;
  /** serialization the header arrived in (and that a response to it should use) */
  serializeType: SerializeType;
}

export const isResponse = (cmd: RemotingCommand): boolean => (cmd.flag & RESPONSE_FLAG) !== 0;
export const isOneway = (cmd: RemotingCommand): boolean => (cmd.flag & ONEWAY_FLAG) !== 0;

/** A response to `request`, answered in the serialization the request used. */
export function createResponse(
  request: RemotingCommand,
  code: number,
  remark?: string,
  extFields: Record<string, string> = {},
  body?: Buffer,
): RemotingCommand {
  return {
    code,
    language: 'JAVA',
    version: GATEWAY_VERSION,
    opaque: request.opaque,
    flag: RESPONSE_FLAG,
    remark,
    extFields,
    body,
    serializeType: request.serializeType,
  };
}

let lastOpaque = 0;

/** An opaque no other request this process sends has in flight. */
export function nextOpaque(): number {
  lastOpaque = lastOpaque >= 0x7fffffff ? 1 : lastOpaque + 1;
  return lastOpaque;
}

/** A request the gateway sends (e.g. a callback to a client). */
export function createRequest(
  code: number,
  extFields: Record<string, string> = {},
  body?: Buffer,
  serializeType: SerializeType = SerializeType.JSON,
): RemotingCommand {
  return { code, language: 'JAVA', version: GATEWAY_VERSION, opaque: nextOpaque(), flag: 0, extFields, body, serializeType };
}
