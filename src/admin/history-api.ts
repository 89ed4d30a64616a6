import type { FastifyInstance } from 'fastify';
import type { AdminService } from '../broker/admin-service.js';
import type { BrokerContext } from '../broker/broker-context.js';
import type { MetricsHistory } from './metrics-history.js';
import { BrokerError } from '../errors/broker-error.js';

/** Every consumer group's lag summed over its queues, as the groups list shows it. */
export async function groupLags(admin: AdminService): Promise<Array<{ group: string; lag: number; system: boolean }>> {
  return Promise.all(admin.groupNames().map(async (group) => ({
    group,
    lag: (await admin.groupProgress(group, undefined, false)).reduce((n, p) => n + p.lag, 0),
    system: group.startsWith('%'),
  })));
}

/**
 * GET /api/history: the last hour of the cluster's totals (messages in and out per second, lag of the clients'
 * groups); with ?topic= a topic's rates in and out, with ?group= a group's consume rate and lag.
 */
export function registerHistoryApi(app: FastifyInstance, deps: () => { history: MetricsHistory; ctx: BrokerContext; admin: AdminService }): void {
  app.get<{ Querystring: { topic?: string; group?: string } }>('/api/history', async (req) => {
    const { topic, group } = req.query;
    const { history, ctx, admin } = deps();
    if (topic !== undefined && topic !== '') {
      ctx.existingTopic(topic);
      return { topic, ...(await history.topic(topic)) };
    }
    if (group !== undefined && group !== '') {
      if (!admin.groupNames().includes(group)) throw new BrokerError('group-not-found', `consumer group ${group} has no member online and no committed offset`);
      return { group, ...(await history.group(group)) };
    }
    return { cluster: true, ...(await history.cluster()) };
  });
}
