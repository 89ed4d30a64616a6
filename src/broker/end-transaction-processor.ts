import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import { decodeHeader } from '../protocol/request-header.js';
import { EndTransactionHeader } from '../protocol/request-headers.js';
import { ResponseCode } from '../protocol/request-code.js';
import type { TransactionService } from './transaction-service.js';

/** END_TRANSACTION: a producer's commit or rollback of a half message, on its own or answering a check. */
export class EndTransactionProcessor {
  constructor(private readonly transactions: TransactionService) {}

  readonly process = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(EndTransactionHeader, req.extFields);
    await this.transactions.end(h.tranStateTableOffset, h.commitLogOffset, h.commitOrRollback, h.fromTransactionCheck ?? false);
    return createResponse(req, ResponseCode.SUCCESS);
  };
}
