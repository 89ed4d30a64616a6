import { createResponse, GATEWAY_VERSION, GATEWAY_VERSION_NAME, type RemotingCommand } from '../remoting/remoting-command.js';
import { ResponseCode } from '../protocol/request-code.js';
import { kvTableBody } from '../protocol/admin-bodies.js';

const SECOND = 1000;

/** "[ d days, h hours, m minutes, s seconds ]", the form Apache RocketMQ's broker reports its run time in. */
function runtimeText(ms: number): string {
  const s = Math.floor(ms / SECOND);
  return `[ ${Math.floor(s / 86_400)} days, ${Math.floor(s / 3600) % 24} hours, ${Math.floor(s / 60) % 60} minutes, ${s % 60} seconds ]`;
}

/**
 * GET_BROKER_RUNTIME_INFO, read by `mqadmin brokerStatus` and `clusterList`. Only values the gateway knows are
 * reported, under Apache RocketMQ's names; mqadmin shows what is absent as blank.
 */
export class BrokerRuntimeProcessor {
  private readonly bootTimestamp = Date.now();

  readonly getBrokerRuntimeInfo = (req: RemotingCommand): RemotingCommand => {
    const table = {
      brokerVersion: String(GATEWAY_VERSION),
      brokerVersionDesc: GATEWAY_VERSION_NAME,
      brokerActive: 'true',
      bootTimestamp: String(this.bootTimestamp),
      runtime: runtimeText(Date.now() - this.bootTimestamp),
    };
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, kvTableBody(table));
  };
}
