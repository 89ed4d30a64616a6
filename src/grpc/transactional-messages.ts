import type { BrokerContext } from '../broker/broker-context.js';
import { TransactionResolution, type TransactionCheck, type TransactionService } from '../broker/transaction-service.js';
import { SysFlag } from '../protocol/message-codec.js';
import { Prop } from '../protocol/message-properties.js';
import type { NewMessage } from '../store/message-store.js';
import { resourceName, toV2Message } from './message-conversion.js';
import { ok } from './status-code.js';
import { BrokerError } from '../errors/broker-error.js';
import type { TelemetrySessions } from './telemetry-sessions.js';
import { parseTransactionId, transactionIdOf } from './transaction-id.js';
import type { Resource } from './v2-types.js';

export interface EndTransactionRequest {
  topic?: Resource | null;
  messageId: string;
  transactionId: string;
  resolution: 'COMMIT' | 'ROLLBACK' | 'TRANSACTION_RESOLUTION_UNSPECIFIED';
  source: 'SOURCE_CLIENT' | 'SOURCE_SERVER_CHECK' | 'SOURCE_UNSPECIFIED';
}

/**
 * RocketMQ 5 transactions on the broker's TransactionService: half messages from v5 producers, their ends, and
 * checks of unresolved ones sent down the telemetry stream of a producer of the topic. A v5 producer has no
 * group; its topic stands for one, as in Apache's proxy.
 */
export class TransactionalMessages {
  constructor(private readonly ctx: BrokerContext, private readonly transactions: TransactionService, private readonly sessions: TelemetrySessions) {
    // A v5 half message's group is its topic: a producer publishing that topic can answer for it.
    transactions.addChecker({ reaches: (group) => sessions.publisherOf(group) !== undefined, send: (group, check) => this.check(group, check) });
  }

  /** Stores a half message; answers the transaction id its producer ends it with. */
  async prepare(topic: string, queueId: number, message: NewMessage): Promise<{ transactionId: string; offset: number }> {
    message.sysFlag |= SysFlag.TRANSACTION_PREPARED;
    message.properties.set(Prop.TRANSACTION_PREPARED, 'true');
    message.properties.set(Prop.PRODUCER_GROUP, topic);
    const half = await this.transactions.prepare(topic, queueId, message, topic);
    return { transactionId: transactionIdOf(half.firstOffset, half.locators[0]!), offset: half.firstOffset };
  }

  async end(req: EndTransactionRequest): Promise<void> {
    resourceName(req.topic);
    const { halfOffset, locator } = parseTransactionId(req.transactionId);
    const resolution = req.resolution === 'COMMIT' ? TransactionResolution.COMMIT : req.resolution === 'ROLLBACK' ? TransactionResolution.ROLLBACK : undefined;
    if (resolution === undefined) throw new BrokerError('bad-request', `resolution ${req.resolution} is neither COMMIT nor ROLLBACK`);
    await this.transactions.end(halfOffset, locator, resolution, req.source === 'SOURCE_SERVER_CHECK');
  }

  private check(group: string, check: TransactionCheck): boolean {
    if (group !== check.message.topic) return false;
    const clientId = this.sessions.publisherOf(group);
    if (!clientId) return false;
    return this.sessions.send(clientId, {
      status: ok(),
      recoverOrphanedTransactionCommand: {
        message: toV2Message(check.message, this.ctx.settings.advertisedAddress),
        transactionId: transactionIdOf(check.halfOffset, check.message.locator),
      },
    });
  }
}
