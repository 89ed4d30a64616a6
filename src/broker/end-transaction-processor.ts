import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import { HeaderFields } from '../protocol/header-fields.js';
import { ResponseCode } from '../protocol/request-code.js';
import type { TransactionService } from './transaction-service.js';

/** END_TRANSACTION: a producer's commit or rollback of a half message, on its own or answering a check. */
export class EndTransactionProcessor {
  constructor(private readonly transactions: TransactionService) {}

  readonly process = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = new HeaderFields(req.extFields);
    await this.transactions.end(h.int('tranStateTableOffset'), h.long('commitLogOffset'), h.int('commitOrRollback'), h.optBool('fromTransactionCheck') ?? false);
    return createResponse(req, ResponseCode.SUCCESS);
  };
}
