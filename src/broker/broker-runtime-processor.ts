import { createResponse, GATEWAY_VERSION, GATEWAY_VERSION_NAME, type RemotingCommand } from '../remoting/remoting-command.js';
import { ResponseCode } from '../protocol/request-code.js';
import { kvTableBody } from '../protocol/admin-bodies.js';
import { brokerStatsDataBody } from '../protocol/broker-admin-bodies.js';
import { decodeHeader } from '../protocol/request-header.js';
import { BrokerStatsHeader } from '../protocol/request-headers.js';
import { STATS_ITEMS, type StatsItem, type TrafficStats } from './traffic-stats.js';

const SECOND = 1000;

/** "[ d days, h hours, m minutes, s seconds ]", the form Apache RocketMQ's broker reports its run time in. */
function runtimeText(ms: number): string {
  const s = Math.floor(ms / SECOND);
  return `[ ${Math.floor(s / 86_400)} days, ${Math.floor(s / 3600) % 24} hours, ${Math.floor(s / 60) % 60} minutes, ${s % 60} seconds ]`;
}

/** Rates as Apache RocketMQ's broker writes them: over 10 s, 60 s and 600 s, space-separated. */
const rates = (perSecond: number[]): string => perSecond.map((r) => r.toFixed(2)).join(' ');

/**
 * GET_BROKER_RUNTIME_INFO, read by `mqadmin brokerStatus` and `clusterList`. Only values the gateway knows are
 * reported, under Apache RocketMQ's names; mqadmin shows what is absent as blank. The daily totals count from
 * the gateway's start: "yesterday" and "today" are only as old as the midnights it ran through.
 */
export class BrokerRuntimeProcessor {
  private readonly bootTimestamp = Date.now();

  constructor(private readonly traffic: TrafficStats, private readonly clusterName: string) {}

  /**
   * VIEW_BROKER_STATS_DATA, which `mqadmin statsAll` reads per topic (TOPIC_PUT_NUMS) and per topic@group
   * (GROUP_GET_NUMS): sum, rate and per-request average over the last minute, hour and day. The broker-wide items
   * are keyed by the cluster name, as in Apache RocketMQ; an item nothing was counted under is SYSTEM_ERROR, as there.
   */
  readonly viewBrokerStatsData = (req: RemotingCommand): RemotingCommand => {
    const h = decodeHeader(BrokerStatsHeader, req.extFields);
    const name = h.statsName;
    const key = h.statsKey;
    const known = (STATS_ITEMS as readonly string[]).includes(name) && (!name.startsWith('BROKER_') || key === this.clusterName);
    const w = known ? this.traffic.statsWindows(name as StatsItem, key) : undefined;
    if (!w) return createResponse(req, ResponseCode.SYSTEM_ERROR, `The stats <${name}> <${key}> not exist`);
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, brokerStatsDataBody(w.minute, w.hour, w.day));
  };

  readonly getBrokerRuntimeInfo = (req: RemotingCommand): RemotingCommand => {
    const r = this.traffic.brokerRates();
    const d = this.traffic.dailyTotals();
    const table = {
      brokerVersion: String(GATEWAY_VERSION),
      brokerVersionDesc: GATEWAY_VERSION_NAME,
      brokerActive: 'true',
      bootTimestamp: String(this.bootTimestamp),
      runtime: runtimeText(Date.now() - this.bootTimestamp),
      putTps: rates(r.put),
      getTransferedTps: rates(r.get),
      // RocketMQ 5 spells it so (mqadmin exportMetrics reads this one), 4.x as above.
      getTransferredTps: rates(r.get),
      msgPutTotalYesterdayMorning: String(d.putYesterdayMorning),
      msgPutTotalTodayMorning: String(d.putTodayMorning),
      msgPutTotalTodayNow: String(d.putNow),
      msgGetTotalYesterdayMorning: String(d.getYesterdayMorning),
      msgGetTotalTodayMorning: String(d.getTodayMorning),
      msgGetTotalTodayNow: String(d.getNow),
    };
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, kvTableBody(table));
  };
}
