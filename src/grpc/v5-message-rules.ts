import { BrokerError } from '../errors/broker-error.js';
import type { V2Message } from './v2-types.js';

/** Apache's proxy's defaults (ProxyConfig): user properties, and their bytes counted with the tag's and the keys'. */
export const MAX_USER_PROPERTIES = 128;
export const MAX_USER_PROPERTY_BYTES = 16 * 1024;
/** A message group takes fewer UTF-8 bytes than this. */
export const MAX_MESSAGE_GROUP_BYTES = 64;

/** Java's Character.isISOControl, which Apache's proxy refuses in keys, tags, groups and properties. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const blank = (s: string): boolean => s.trim() === '';
const utf8 = (s: string): number => Buffer.byteLength(s);

/**
 * What Apache RocketMQ's proxy refuses of a v5 message's own fields before it becomes a 4.x message
 * (SendMessageActivity.buildMessageProperty, GrpcValidator.validateTag): user property keys that are reserved
 * (`reserved`) or malformed and values with control characters, a malformed tag, key or message group, more than 128
 * user properties, or more than 16 KiB of them, the tag and the keys together (so a key of 70,000 bytes is
 * MESSAGE_PROPERTIES_TOO_LARGE, as there). The broker's own limits follow at the door (message-admission.ts).
 */
export function checkV5Fields(m: V2Message, reserved: ReadonlySet<string>): void {
  const sp = m.systemProperties;
  const user = Object.entries(m.userProperties ?? {});
  if (user.length > MAX_USER_PROPERTIES) {
    throw new BrokerError('message-properties-too-large', `the message has ${user.length} user properties, over the limit of ${MAX_USER_PROPERTIES}`);
  }
  let bytes = 0;
  for (const [key, value] of user) {
    if (key === '' || reserved.has(key) || CONTROL.test(key)) throw new BrokerError('illegal-property-key', `the property key ${JSON.stringify(key.slice(0, 64))} is reserved or malformed`);
    if (CONTROL.test(value)) throw new BrokerError('illegal-property-key', `the value of property ${JSON.stringify(key.slice(0, 64))} has a control character`);
    bytes += utf8(key) + utf8(value);
  }
  const tag = sp?.tag ?? '';
  if (tag !== '') {
    if (blank(tag) || tag.includes('|') || CONTROL.test(tag)) throw new BrokerError('illegal-message-tag', 'the tag must not be whitespace only, nor hold \'|\' or a control character');
    bytes += utf8(tag);
  }
  for (const key of sp?.keys ?? []) {
    if (key === '') continue;
    if (blank(key) || CONTROL.test(key)) throw new BrokerError('illegal-message-key', 'a message key must not be whitespace only, nor hold a control character');
    bytes += utf8(key);
  }
  if (bytes > MAX_USER_PROPERTY_BYTES) {
    throw new BrokerError('message-properties-too-large', `the user properties, tag and keys take ${bytes} bytes, over the limit of ${MAX_USER_PROPERTY_BYTES}`);
  }
  const group = sp?.messageGroup ?? '';
  if (group !== '' && (blank(group) || utf8(group) >= MAX_MESSAGE_GROUP_BYTES || CONTROL.test(group))) {
    throw new BrokerError('illegal-message-group', `the message group must take under ${MAX_MESSAGE_GROUP_BYTES} bytes, not be whitespace only, nor hold a control character`);
  }
}
