import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import { BrokerError } from '../errors/broker-error.js';
import { ResponseCode } from '../protocol/request-code.js';
import { jsonBody, parseJsonBody, type QueueLockBatchBody } from '../protocol/bodies.js';
import type { QueueLockManager } from './queue-lock-manager.js';

function lockBody(req: RemotingCommand, what: string): QueueLockBatchBody {
  const body = parseJsonBody<QueueLockBatchBody>(req.body, what);
  if (typeof body.consumerGroup !== 'string' || typeof body.clientId !== 'string' || !Array.isArray(body.mqSet)) {
    throw new BrokerError('bad-request', `${what} needs consumerGroup, clientId and mqSet`);
  }
  for (const q of body.mqSet) {
    if (typeof q?.topic !== 'string' || !Number.isInteger(q.queueId)) {
      throw new BrokerError('bad-request', `${what}: every queue needs a topic and an integer queueId`);
    }
  }
  return body;
}

/** LOCK_BATCH_MQ and UNLOCK_BATCH_MQ, which orderly consumers use to own their queues exclusively. */
export class QueueLockProcessor {
  constructor(private readonly locks: QueueLockManager) {}

  readonly lockBatch = (req: RemotingCommand): RemotingCommand => {
    const body = lockBody(req, 'lock batch');
    const locked = this.locks.tryLock(body.consumerGroup, body.clientId, body.mqSet);
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, jsonBody({ lockOKMQSet: locked }));
  };

  readonly unlockBatch = (req: RemotingCommand): RemotingCommand => {
    const body = lockBody(req, 'unlock batch');
    this.locks.unlock(body.consumerGroup, body.clientId, body.mqSet);
    return createResponse(req, ResponseCode.SUCCESS);
  };
}
