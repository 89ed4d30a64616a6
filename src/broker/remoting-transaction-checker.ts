import { createRequest, ONEWAY_FLAG } from '../remoting/remoting-command.js';
import { createOffsetMsgId, encodeStoredMessage } from '../protocol/message-codec.js';
import { Prop } from '../protocol/message-properties.js';
import { RequestCode } from '../protocol/request-code.js';
import type { ConsumerRegistry } from './consumer-registry.js';
import type { TransactionCheck, TransactionChecker } from './transaction-service.js';

/**
 * Checks a half message back with the 4.x producer of its group that heartbeated last: CHECK_TRANSACTION_STATE,
 * one way; the producer answers with END_TRANSACTION marked as coming from a check.
 */
export function remotingTransactionChecker(registry: ConsumerRegistry, storeHost: string): TransactionChecker {
  return { reaches: (group) => registry.anyProducerOf(group) !== undefined, send };

  function send(group: string, { halfOffset, message }: TransactionCheck): boolean {
    const producer = registry.anyProducerOf(group);
    if (!producer) return false;
    const uniqueKey = message.properties.get(Prop.UNIQ_KEY) ?? '';
    const req = createRequest(RequestCode.CHECK_TRANSACTION_STATE, {
      tranStateTableOffset: String(halfOffset),
      commitLogOffset: String(message.locator),
      msgId: uniqueKey,
      transactionId: uniqueKey,
      offsetMsgId: createOffsetMsgId(storeHost, message.locator),
    }, encodeStoredMessage(message, storeHost), producer.serializeType);
    req.flag |= ONEWAY_FLAG;
    producer.connection.send(req);
    return true;
  }
}
