import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { startGateway } from '../support/gateway.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { formatProperties } from '../../src/protocol/message-properties.js';
import { decodeStoredMessages } from '../../src/protocol/message-codec.js';
import { RequestCode, ResponseCode } from '../../src/protocol/request-code.js';

// 5,000 route lookups of new topic names: auto-creation stops at --max-topics, and the gateway's descriptors stay
// bounded by --max-open-files (each topic has 4 queues, a segment log and index each: 8 files) plus what the process
// holds besides its queue files. The bound checked: MAX_OPEN_FILES + the descriptors the gateway held at start
// that are not queue files (stdio, listening sockets, epoll, the offsets journal, ...) + MARGIN (the probes'
// sockets, a file being replaced atomically).
const MAX_TOPICS = 1000;
const MAX_OPEN_FILES = 256;
const MARGIN = 8;
const LOOKUPS = 5000;

/** The gateway's descriptors: all of them, and those on files under its data dir. */
function descriptors(pid: number, dataDir: string): { all: number; store: number } {
  let all = 0;
  let store = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    all++;
    if (target.startsWith(dataDir)) store++;
  }
  return { all, store };
}

test(`${LOOKUPS} route lookups of new topics: at most ${MAX_TOPICS} created, the rest TOPIC_NOT_EXIST, descriptors bounded, and a new client still served`, { timeout: 600_000 }, async (t) => {
  if (process.platform !== 'linux') {
    t.skip('counts descriptors in /proc (Linux only)');
    return;
  }
  const gw = await startGateway({ args: ['--max-topics', String(MAX_TOPICS), '--max-open-files', String(MAX_OPEN_FILES)] });
  const pid = gw.child.pid!;
  const probe = await RemotingProbe.connect(gw.address);
  try {
    const atStart = descriptors(pid, gw.dataDir);
    const bound = MAX_OPEN_FILES + (atStart.all - atStart.store) + MARGIN;
    // Under a real descriptor limit a little above the bound, as the probe that found the leak ran (ulimit 1024).
    let limited = false;
    try {
      execFileSync('prlimit', ['--pid', String(pid), `--nofile=${bound + 64}:${bound + 64}`], { stdio: 'pipe' });
      limited = true;
    } catch (err) {
      t.diagnostic(`prlimit unavailable (${(err as Error).message}); descriptors are counted without a lowered limit`);
    }
    const held = (JSON.parse((await probe.invoke(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, {})).body!.toString()) as { topicList: string[] }).topicList.length;
    const answers = new Map<number, number>();
    let peak = atStart;
    let createdAfterRefusal = 0;
    for (let i = 0; i < LOOKUPS; i++) {
      const r = await probe.invoke(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: `FdProbe_${i}` });
      answers.set(r.code, (answers.get(r.code) ?? 0) + 1);
      if (r.code === ResponseCode.SUCCESS && (answers.get(ResponseCode.TOPIC_NOT_EXIST) ?? 0) > 0) createdAfterRefusal++;
      if (i % 50 === 0 || i === LOOKUPS - 1) {
        const now = descriptors(pid, gw.dataDir);
        if (now.all > peak.all) peak = now;
        assert.ok(now.store <= MAX_OPEN_FILES + 2, `lookup ${i}: ${now.store} descriptors on store files, over --max-open-files ${MAX_OPEN_FILES} (+ the journal and a file being replaced)`);
      }
    }
    const created = answers.get(ResponseCode.SUCCESS) ?? 0;
    t.diagnostic(`answers ${JSON.stringify(Object.fromEntries(answers))}; ${held} topics held before; descriptors at start ${atStart.all} (${atStart.store} on store files), peak ${peak.all} (${peak.store}), bound ${bound}${limited ? `, RLIMIT_NOFILE ${bound + 64}` : ''}`);
    assert.deepEqual([...answers.keys()].sort((a, b) => a - b), [ResponseCode.SUCCESS, ResponseCode.TOPIC_NOT_EXIST], 'every lookup answered SUCCESS or TOPIC_NOT_EXIST');
    assert.equal(created, MAX_TOPICS - held, 'topics were created up to the limit, the system topics counted');
    assert.equal(createdAfterRefusal, 0, 'none once the limit was reached');
    const topics = (JSON.parse((await probe.invoke(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, {})).body!.toString()) as { topicList: string[] }).topicList;
    assert.equal(topics.length, MAX_TOPICS, 'the gateway holds exactly --max-topics topics');
    assert.ok(peak.all <= bound, `descriptors peaked at ${peak.all}, within ${bound}`);

    // A new client connects, sends to one of the topics and reads its message back: files closed by the LRU reopen.
    const fresh = await RemotingProbe.connect(gw.address);
    try {
      const topic = 'FdProbe_7';
      const sent = await fresh.invoke(RequestCode.SEND_MESSAGE_V2, {
        a: 'FdProbePG', b: topic, c: 'TBW102', d: '4', e: '1', f: '0', g: String(Date.now()), h: '0',
        i: formatProperties(new Map([['KEYS', 'fd-probe']])), j: '0', k: 'false', m: 'false',
      }, Buffer.from('after 5000 lookups'));
      assert.equal(sent.code, ResponseCode.SUCCESS, sent.remark);
      const pulled = await fresh.invoke(RequestCode.PULL_MESSAGE, {
        consumerGroup: 'FdProbeCG', topic, queueId: '1', queueOffset: '0', maxMsgNums: '4',
        sysFlag: '4', commitOffset: '0', suspendTimeoutMillis: '0', subscription: '*', subVersion: '0',
      });
      assert.equal(pulled.code, ResponseCode.SUCCESS);
      assert.deepEqual(decodeStoredMessages(pulled.body!).map((m) => m.body.toString()), ['after 5000 lookups']);
      const late = descriptors(pid, gw.dataDir);
      assert.ok(late.all <= bound, `descriptors after the new client: ${late.all}, within ${bound}`);
    } finally {
      fresh.close();
    }
    const failures = gw.logs.filter((l) => Number(l.level) >= 50);
    assert.deepEqual(failures, [], 'no error logged (no EMFILE)');
  } finally {
    probe.close();
    await gw.stop();
    gw.cleanup();
  }
});
