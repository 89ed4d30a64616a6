import type { FastifyInstance } from 'fastify';
import type { AdminService } from '../../broker/admin-service.js';
import { validateTopicName, type BrokerContext } from '../../broker/broker-context.js';
import { BrokerError } from '../../errors/broker-error.js';
import { DEFAULT_TRACE_TOPIC, findTrace } from './message-trace.js';

/**
 * GET /api/trace?msgId=… or ?key=…: the message trace the 4.x and 5.x Java clients wrote for a message (or every
 * message with a key), from RMQ_SYS_TRACE_TOPIC or the topic named by traceTopic=.
 */
export function registerTraceApi(app: FastifyInstance, deps: () => { ctx: BrokerContext; admin: AdminService }): void {
  app.get<{ Querystring: { msgId?: string; key?: string; traceTopic?: string } }>('/api/trace', async (req) => {
    const { msgId, key } = req.query;
    const traceTopic = req.query.traceTopic || DEFAULT_TRACE_TOPIC;
    validateTopicName(traceTopic);
    const { ctx, admin } = deps();
    if (msgId && !key) return findTrace({ msgId, traceTopic }, ctx, admin);
    if (key && !msgId) return findTrace({ key, traceTopic }, ctx, admin);
    throw new BrokerError('bad-request', 'give either msgId (a client msgId or an offsetMsgId) or key');
  });
}
