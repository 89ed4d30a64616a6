import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { parseMetrics, sum } from '../support/prometheus.js';
import { MiB, eventually, openProbe, quantile, rssBytes, wait, type Probe } from '../support/process-stats.js';
import { createRequest } from '../../src/remoting/remoting-command.js';
import { encodeCommand } from '../../src/remoting/header-codec.js';
import { formatProperties } from '../../src/protocol/message-properties.js';
import { MAX_IN_FLIGHT } from '../../src/remoting/remoting-connection.js';

// Clients that pipeline pulls and never read the answers: the gateway stops reading from them instead of buffering
// their answers (or holding their pulls) without bound, and other clients are served as before.

const PIPELINED = 10_000;
/** how long the empty queue's pulls are held */
const HOLD_MS = 5000;
const BODY = Buffer.alloc(1024, 'x');

const sendRequest = (topic: string, queueId: number, body: Buffer) => createRequest(310, {
  a: 'LimitsPG', b: topic, c: 'TBW102', d: '1', e: String(queueId), f: '0', g: String(Date.now()), h: '0',
  i: formatProperties(new Map([['TAGS', 't']])), j: '0', k: 'false', m: 'false',
}, body);

const pullRequest = (group: string, topic: string, offset: number, suspendMs: number) => createRequest(11, {
  consumerGroup: group, topic, queueId: '0', queueOffset: String(offset), maxMsgNums: '32',
  sysFlag: '6', commitOffset: '0', suspendTimeoutMillis: String(suspendMs), subscription: '*', subVersion: '0',
});

/** `PIPELINED` copies of a request's frame, written at once on a connection that then reads nothing. */
async function pipeline(port: number, frame: Buffer): Promise<Probe> {
  const probe = await openProbe(port);
  probe.socket.pause();
  probe.socket.removeAllListeners('data');
  probe.socket.write(Buffer.concat(Array.from({ length: PIPELINED }, () => frame)));
  return probe;
}

test('10,000 pipelined pulls never read: the gateway grows by under 64 MB, holds at most its in-flight cap, and serves others within 100 ms', { timeout: 120_000 }, async (t) => {
  const gw = await startGateway({ http: true, args: ['--default-queues', '1'] });
  const abusers: Probe[] = [];
  const polite = await RemotingProbe.connect(gw.address);
  try {
    const pid = gw.child.pid!;
    // A queue with messages (each pull answers 32 of them, about 34 KB) and an empty one (each pull is held).
    for (let i = 0; i < 64; i++) assert.equal((await polite.invoke(310, sendRequest('FullTopic', 0, BODY).extFields, BODY)).code, 0);
    assert.equal((await polite.invoke(105, { topic: 'EmptyTopic' })).code, 0);
    assert.equal((await polite.invoke(310, sendRequest('PoliteTopic', 0, BODY).extFields, BODY)).code, 0);
    // The measure starts with the pull path warm: what a first pull costs once (compiled code, open files) is no growth.
    for (let i = 0; i < 200; i++) assert.equal((await polite.invoke(11, pullRequest('WarmCG', 'FullTopic', i % 64, 0).extFields)).code, 0);
    await wait(500);
    const rssBefore = rssBytes(pid);

    const encode = (cmd: ReturnType<typeof createRequest>) => Buffer.concat(encodeCommand(cmd));
    abusers.push(await pipeline(gw.port, encode(pullRequest('AbuseFullCG', 'FullTopic', 0, 0))));
    abusers.push(await pipeline(gw.port, encode(pullRequest('AbuseEmptyCG', 'EmptyTopic', 0, HOLD_MS))));

    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 50);
    // Meanwhile a polite client sends and pulls what it sent, one request at a time.
    const latencies: number[] = [];
    let offset = 1;
    const until = Date.now() + 8000;
    try {
      while (Date.now() < until) {
        let started = performance.now();
        const sent = await polite.invoke(310, sendRequest('PoliteTopic', 0, BODY).extFields, BODY);
        latencies.push(performance.now() - started);
        assert.equal(sent.code, 0, sent.remark);
        started = performance.now();
        const pulled = await polite.invoke(11, pullRequest('PoliteCG', 'PoliteTopic', offset, 0).extFields);
        latencies.push(performance.now() - started);
        assert.equal(pulled.code, 0, pulled.remark);
        offset++;
        await wait(10);
      }
    } finally {
      clearInterval(sampler);
    }
    const samples = parseMetrics(await (await fetch(`${gw.httpUrl!}/metrics`, { signal: AbortSignal.timeout(5000) })).text());
    const held = sum(samples, 'rop_held_pulls');
    const pullsAnswered = sum(samples, 'rocketmq_rpc_latency_count', { request_code: 'PULL_MESSAGE' });

    const grown = (peak - rssBefore) / MiB;
    const p99 = quantile(latencies, 0.99);
    t.diagnostic(`RSS ${(rssBefore / MiB).toFixed(0)} → peak ${(peak / MiB).toFixed(0)} MB; ${held} pulls held, ${pullsAnswered} answered; polite p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${latencies.length} requests`);
    assert.ok(grown < 64, `RSS grew ${grown.toFixed(1)} MB (${(rssBefore / MiB).toFixed(0)} → ${(peak / MiB).toFixed(0)} MB)`);
    assert.ok(held > 0 && held <= MAX_IN_FLIGHT, `${held} pulls held of the ${PIPELINED} pipelined (cap ${MAX_IN_FLIGHT})`);
    assert.ok(pullsAnswered < PIPELINED, `${pullsAnswered} pulls answered while neither abuser read`);
    assert.ok(latencies.length >= 100, `${latencies.length} polite requests`);
    assert.ok(p99 < 100, `the polite client's p99 ${p99.toFixed(1)} ms (median ${quantile(latencies, 0.5).toFixed(1)} ms)`);

    // Once the abusers are gone, so is what they held. A connection not read from hears of its client leaving when it
    // next writes: at the latest when its held pulls answer.
    for (const a of abusers) a.socket.destroy();
    assert.ok(await eventually(async () => {
      const now = parseMetrics(await (await fetch(`${gw.httpUrl!}/metrics`, { signal: AbortSignal.timeout(5000) })).text());
      return sum(now, 'rop_client_connections') === 1;
    }, HOLD_MS + 5000), 'only the polite client left');
    assert.equal((await polite.invoke(11, pullRequest('PoliteCG', 'PoliteTopic', offset - 1, 0).extFields)).code, 0);
  } finally {
    for (const a of abusers) a.socket.destroy();
    polite.close();
    await gw.stop();
    gw.cleanup();
  }
});
