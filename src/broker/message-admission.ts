import { BrokerError } from '../errors/broker-error.js';
import { formatProperties } from '../protocol/message-properties.js';
import { MAX_PROPERTIES_BYTES } from '../protocol/message-codec.js';
import type { NewMessage } from '../store/message-store.js';
import { validateTopicName } from './broker-context.js';
import { ensureSendable } from './system-topics.js';

/**
 * The door every message a client sends passes, over either protocol, before anything of its request is stored or
 * created: what Apache RocketMQ's broker checks of a send (msgCheck's topic rules, then its store's body and
 * properties limits), for each message of a batch. The properties limit also bounds every key the key index
 * records (keys travel inside the properties), so no key reaches it longer than 32 KiB. The v5 fields Apache's
 * proxy checks besides (tag, keys, user properties) are checked as a v5 message is converted.
 */
export function admitMessages(topic: string, messages: readonly NewMessage[], maxBodyBytes: number): void {
  validateTopicName(topic);
  ensureSendable(topic);
  for (const m of messages) {
    if (m.body.length > maxBodyBytes) {
      throw new BrokerError('message-too-large', `the message body of ${m.body.length} bytes is over the limit of ${maxBodyBytes} bytes`);
    }
    ensurePropertiesFit(m.properties);
  }
}

/**
 * Apache's broker takes a batch whole or not at all, and takes its body, every message of it together, only up to
 * the message size limit (DefaultMessageStore.checkMessages): checked before the body is split.
 */
export function admitBatchBody(bytes: number, maxBodyBytes: number): void {
  if (bytes > maxBodyBytes) throw new BrokerError('message-too-large', `the batch body of ${bytes} bytes is over the limit of ${maxBodyBytes} bytes`);
}

/**
 * Refuses a message whose properties would not fit the stored layout: stored, no consumer could read past it. A
 * UTF-16 unit takes at most 3 bytes in UTF-8, so properties whose units fit in a third of the limit need no exact
 * count (every send passes here; the exact count would encode them once more).
 */
function ensurePropertiesFit(properties: ReadonlyMap<string, string>): void {
  let units = 0;
  for (const [k, v] of properties) units += k.length + v.length + 2;
  if (units * 3 <= MAX_PROPERTIES_BYTES) return;
  const bytes = Buffer.byteLength(formatProperties(properties));
  if (bytes > MAX_PROPERTIES_BYTES) {
    throw new BrokerError('message-properties-too-large', `the message's properties take ${bytes} bytes, over RocketMQ's limit of ${MAX_PROPERTIES_BYTES}`);
  }
}
