import { createHmac, timingSafeEqual } from 'node:crypto';

/** The ext fields Apache's AclClientRPCHook adds (SessionCredentials.ACCESS_KEY, SIGNATURE, SECURITY_TOKEN). */
export const ACCESS_KEY_FIELD = 'AccessKey';
export const SIGNATURE_FIELD = 'Signature';
export const SECURITY_TOKEN_FIELD = 'SecurityToken';
/**
 * MixAll.UNIQUE_MSG_QUERY_FLAG: Apache's broker leaves it out of the content it checks, yet the 4.9.8 client adds it
 * to QUERY_MESSAGE before its hook signs, so both contents are accepted.
 */
const UNIQUE_KEY_QUERY_FIELD = '_UNIQUE_KEY_QUERY';

export const hmacSha1 = (data: Buffer, secret: string): Buffer => createHmac('sha1', Buffer.from(secret, 'utf8')).update(data).digest();

/**
 * What a 4.x request signs (AclUtils.combineRequestContent, as AclClientRPCHook calls it): the values of its ext
 * fields but Signature, in the order of their names (Java's TreeMap: UTF-16 code units), then the body bytes.
 */
export function remotingSignedContent(extFields: Readonly<Record<string, string>>, body: Buffer | undefined, leaveOut: readonly string[] = []): Buffer {
  const names = Object.keys(extFields).filter((k) => k !== SIGNATURE_FIELD && !leaveOut.includes(k)).sort();
  const text = Buffer.from(names.map((k) => extFields[k]).join(''), 'utf8');
  return body && body.length > 0 ? Buffer.concat([text, body]) : text;
}

/** Each content a 4.x client may have signed: as its hook signs, and as Apache's broker rebuilds it. */
export function remotingSignedContents(extFields: Readonly<Record<string, string>>, body: Buffer | undefined): Buffer[] {
  const signed = [remotingSignedContent(extFields, body)];
  if (UNIQUE_KEY_QUERY_FIELD in extFields) signed.push(remotingSignedContent(extFields, body, [UNIQUE_KEY_QUERY_FIELD]));
  return signed;
}

/** AclUtils.calSignature: HMAC-SHA1 with the secret key, base64. */
export const remotingSignature = (extFields: Readonly<Record<string, string>>, body: Buffer | undefined, secret: string): string =>
  hmacSha1(remotingSignedContent(extFields, body), secret).toString('base64');

/** Compares signatures as bytes in constant time; anything that does not decode to the same bytes differs. */
export function sameSignature(expected: Buffer, given: Buffer): boolean {
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The parts of a RocketMQ 5 client's authorization header: `MQv2-HMAC-SHA1 Credential=ak, SignedHeaders=x-mq-date-time, Signature=HEX`. */
export interface Authorization {
  algorithm: string;
  accessKey?: string;
  signedHeaders: string[];
  /** the signature's bytes, from its hex */
  signature?: Buffer;
}

/** Raised for an authorization header that does not parse; the proxy's AuthorizationHeader refuses the same. */
export class AuthorizationHeaderError extends Error {
  override readonly name = 'AuthorizationHeaderError';
}

/** Parses the header as Apache's AuthorizationHeader does: the algorithm, a space, then comma-separated key=value. */
export function parseAuthorization(header: string): Authorization {
  const space = header.indexOf(' ');
  if (space < 0) throw new AuthorizationHeaderError('the authorization header has no credentials after its algorithm');
  const out: Authorization = { algorithm: header.slice(0, space), signedHeaders: [] };
  for (const item of header.slice(space + 1).split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) throw new AuthorizationHeaderError(`the authorization header item ${JSON.stringify(item.trim().slice(0, 40))} is not key=value`);
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 'Credential') out.accessKey = value.split('/')[0];
    else if (key === 'SignedHeaders') out.signedHeaders = value.split(';');
    else if (key === 'Signature') {
      if (!/^(?:[0-9a-fA-F]{2})+$/.test(value)) throw new AuthorizationHeaderError('the authorization header signature is not hex');
      out.signature = Buffer.from(value, 'hex');
    }
  }
  return out;
}

/** What a 5.x client signs (its TLSHelper.sign): the x-mq-date-time value, HMAC-SHA1 with the secret, hex. */
export const grpcSignature = (dateTime: string, secret: string): string => hmacSha1(Buffer.from(dateTime, 'utf8'), secret).toString('hex').toUpperCase();
