import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, startGateway, type GatewayProcess } from './gateway.js';
import { JavaHarness } from './java-harness.js';
import { RemotingProbe } from './remoting-probe.js';

// What the differential suites (test/differential/**) share: Apache RocketMQ's own name server and broker (4.9, from
// Maven Central, scripts/rocketmq.mjs) on one side, a gateway on the other, and the Java harness driving both.

/** One side of a comparison. */
export interface Side {
  namesrv: string;
  /** where topics are created (UPDATE_AND_CREATE_TOPIC goes to a broker); also the store host of what it delivers */
  broker: string;
}

const run = promisify(execFile);

/** `node scripts/rocketmq.mjs start|stop` with `env` added (ROCKETMQ_BROKER_CONF_EXTRA, ports). */
export const rocketmq = (command: 'start' | 'stop', env: NodeJS.ProcessEnv = {}): Promise<unknown> =>
  run(process.execPath, [join(repoRoot, 'scripts', 'rocketmq.mjs'), command], { cwd: repoRoot, timeout: 300_000, env: { ...process.env, ...env } });

/** Apache RocketMQ's side, at the ports scripts/rocketmq.mjs uses (ROCKETMQ_NAMESRV_PORT, ROCKETMQ_BROKER_PORT). */
export const apache: Side = {
  namesrv: `127.0.0.1:${process.env.ROCKETMQ_NAMESRV_PORT ?? 19876}`,
  broker: `127.0.0.1:${process.env.ROCKETMQ_BROKER_PORT ?? 10911}`,
};

export interface DifferentialOptions {
  /** broker.conf settings for Apache's broker (ROCKETMQ_BROKER_CONF_EXTRA) */
  brokerConf: Record<string, string | number>;
  /** the gateway's command-line options for the same settings */
  gatewayArgs: string[];
}

export interface Differential {
  readonly apache: Side;
  /** the gateway's side, once `before` has run */
  readonly rop: Side;
  readonly gw: GatewayProcess;
}

/**
 * Apache RocketMQ (restarted with `brokerConf`, so each file starts from an empty store) and a gateway for a whole
 * test file: started before its tests, stopped after them.
 */
export function differentialPerFile(options: DifferentialOptions): Differential {
  let gw: GatewayProcess | undefined;
  before(async () => {
    await rocketmq('stop');
    const extra = Object.entries(options.brokerConf).map(([k, v]) => `${k}=${v}`).join(';');
    await rocketmq('start', { ROCKETMQ_BROKER_CONF_EXTRA: extra });
    gw = await startGateway({ args: options.gatewayArgs });
  });
  after(async () => {
    await gw?.stop();
    gw?.cleanup();
    await rocketmq('stop');
  });
  const started = (): GatewayProcess => {
    if (!gw) throw new Error('the gateway starts in before()');
    return gw;
  };
  return {
    apache,
    get rop() {
      const { address } = started();
      return { namesrv: address, broker: address };
    },
    get gw() {
      return started();
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Creates a scenario's topic up front on a side: an Apache consumer that subscribes before its topic exists
 * learns of it only at its next route refresh, up to 30 s later, which would skew the timings.
 */
export async function createTopic(side: Side, topic: string, queues = 4): Promise<void> {
  const probe = await RemotingProbe.connect(side.broker);
  try {
    const n = String(queues);
    const r = await probe.invoke(17, { topic, readQueueNums: n, writeQueueNums: n, perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false' });
    assert.equal(r.code, 0, `create ${topic}: ${r.remark}`);
  } finally {
    probe.close();
  }
  await sleep(500);
}

/** A push consumer of the Java harness, ready and (after a pause for the first rebalance) assigned its queues. */
export async function consumer(namesrv: string, options: Record<string, string | number>): Promise<JavaHarness> {
  const h = JavaHarness.start('push-consume', { namesrv, 'timeout-ms': 170_000, ...options });
  await h.waitFor((e) => e.some((x) => x.event === 'ready'), 60_000, `${options.group} ready`);
  // Let the first rebalance assign the queues before anything is sent.
  await sleep(3000);
  return h;
}

/**
 * Sends `count` messages with the Java harness's producer (in `--mode ordered`, `count` steps of each of `--orders`
 * orders); every one must be SEND_OK.
 */
export async function produce(namesrv: string, topic: string, count: number, extra: Record<string, string | number> = {}): Promise<void> {
  const events = await JavaHarness.run('produce', { namesrv, topic, count, mode: 'sync', ...extra });
  const sent = events.filter((e) => e.event === 'sent' && e.status === 'SEND_OK').length;
  const expected = extra.mode === 'ordered' ? count * Number(extra.orders ?? 20) : count;
  assert.equal(sent, expected, `${topic}: all SEND_OK`);
}
