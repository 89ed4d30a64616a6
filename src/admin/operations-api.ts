import type { FastifyInstance } from 'fastify';
import type { AdminApiDeps } from './admin-api.js';
import { registerHistoryApi } from './history-api.js';
import { registerTraceApi } from './trace/trace-api.js';
import { registerRunningInfoApi } from './consumer-running-info.js';
import { registerDeadLetterApi } from './dead-letters.js';
import { registerSendApi } from './send-api.js';

/**
 * What an operator watches and does beyond the cluster's state: the last hour's charts, message traces, the
 * consumers' own status, dead letters and their re-sending, and test messages.
 */
export function registerOperationsApi(app: FastifyInstance, deps: () => AdminApiDeps): void {
  registerHistoryApi(app, deps);
  registerTraceApi(app, deps);
  registerRunningInfoApi(app, deps);
  registerDeadLetterApi(app, deps);
  registerSendApi(app, deps);
}
