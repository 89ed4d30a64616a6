import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { JavaHarness, deliveries, type HarnessEvent } from '../support/java-harness.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { remotingSignature } from '../../src/acl/signature.js';
import { RequestCode as C, ResponseCode } from '../../src/protocol/request-code.js';

// Apache RocketMQ's 4.9.8 Java client signing with its AclClientRPCHook against a gateway started with --acl-file.
const RULES = `accounts:
  - accessKey: producer-ak
    secretKey: producer-sk
    defaultTopicPerm: DENY
    topicPerms: [AclOrders=PUB, AclClosed=DENY]
  - accessKey: consumer-ak
    secretKey: consumer-sk
    defaultTopicPerm: DENY
    defaultGroupPerm: DENY
    topicPerms: [AclOrders=SUB]
    groupPerms: [acl-consumers=SUB]
  - accessKey: admin-ak12
    secretKey: admin-sk12
    admin: true
`;
const PRODUCER = { 'access-key': 'producer-ak', 'secret-key': 'producer-sk' };
const CONSUMER = { 'access-key': 'consumer-ak', 'secret-key': 'consumer-sk' };
const ADMIN = { ak: 'admin-ak12', sk: 'admin-sk12' };

let dir: string;
let aclFile: string;
let gw: GatewayProcess;
let probe: RemotingProbe;
const running: JavaHarness[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rop-acl-e2e-'));
  aclFile = join(dir, 'plain_acl.yml');
  writeFileSync(aclFile, RULES);
  gw = await startGateway({ args: ['--acl-file', aclFile] });
  probe = await RemotingProbe.connect(gw.address);
});

after(async () => {
  probe?.close();
  await Promise.all(running.map((h) => h.stop()));
  await gw?.stop();
  gw?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** A request signed as AclClientRPCHook signs it. */
function signedInvoke(code: number, fields: Record<string, string>, ak: string, sk: string, body?: Buffer) {
  const ext = { ...fields, AccessKey: ak };
  return probe.invoke(code, { ...ext, Signature: remotingSignature(ext, body, sk) }, body);
}

async function storedCount(topic: string): Promise<number> {
  let total = 0;
  for (let q = 0; q < 4; q++) {
    const r = await signedInvoke(C.GET_MAX_OFFSET, { topic, queueId: String(q) }, ADMIN.ak, ADMIN.sk);
    if (r.code === ResponseCode.SUCCESS) total += Number(r.extFields.offset);
  }
  return total;
}

/** Runs the Java producer to its end (it exits 1 when a send failed) and returns what it reported. */
async function produce(topic: string, count: number, creds: Record<string, string> = {}): Promise<HarnessEvent[]> {
  const h = JavaHarness.start('produce', { namesrv: gw.address, topic, count, group: 'acl-producers', ...creds });
  const timer = setTimeout(() => h.child.kill('SIGKILL'), 60_000);
  await h.exited;
  clearTimeout(timer);
  return h.events;
}

/** Sends the broker refused NO_PERMISSION (the client reports "CODE: 16" as the cause). */
const refusedSends = (events: HarnessEvent[]) => events.filter((e) => e.event === 'error' && /CODE: 16\b/.test(String(e.cause)));

test('the right credentials produce and consume', { timeout: 120_000 }, async () => {
  const sent = (await produce('AclOrders', 20, PRODUCER)).filter((e) => e.event === 'sent');
  assert.equal(sent.length, 20);
  const consumer = JavaHarness.start('push-consume', { namesrv: gw.address, topic: 'AclOrders', group: 'acl-consumers', from: 'first', 'timeout-ms': 100_000, ...CONSUMER });
  running.push(consumer);
  await consumer.waitFor((ev) => deliveries(ev).length >= 20, 60_000, '20 deliveries with the consumer account');
  assert.equal(new Set(deliveries(consumer.of('msg')).map((m) => (m.props as Record<string, string>).idx)).size, 20);
});

test('a wrong secret, an unknown key, a DENY topic and no credentials are refused NO_PERMISSION and store nothing', { timeout: 120_000 }, async () => {
  for (const [what, topic, creds] of [
    ['wrong secret', 'AclOrders2', { 'access-key': 'producer-ak', 'secret-key': 'not-the-secret' }],
    ['unknown key', 'AclOrders2', { 'access-key': 'stranger-ak', 'secret-key': 'stranger-sk' }],
    ['DENY topic', 'AclClosed', PRODUCER],
    ['no credentials', 'AclOrders2', {}],
  ] as const) {
    const events = await produce(topic, 2, creds);
    assert.equal(refusedSends(events).length, 2, `${what}: both sends refused with code 16: ${JSON.stringify(events)}`);
    assert.equal(await storedCount(topic), 0, `${what}: nothing stored`);
  }
});

test('only a lookup signed by an account with rights on a topic creates it; others see the default route', async () => {
  const topics = async () => (JSON.parse((await probe.invoke(C.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, {})).body!.toString()) as { topicList: string[] }).topicList;
  const lookup = { topic: 'AclLookedUp' };
  assert.equal((await probe.invoke(C.GET_ROUTEINFO_BY_TOPIC, lookup)).code, ResponseCode.TOPIC_NOT_EXIST, 'unsigned');
  assert.equal((await signedInvoke(C.GET_ROUTEINFO_BY_TOPIC, lookup, 'producer-ak', 'not-the-secret')).code, ResponseCode.TOPIC_NOT_EXIST, 'wrong secret');
  assert.equal((await signedInvoke(C.GET_ROUTEINFO_BY_TOPIC, lookup, 'producer-ak', 'producer-sk')).code, ResponseCode.TOPIC_NOT_EXIST, 'no right on the topic');
  assert.equal((await signedInvoke(C.GET_ROUTEINFO_BY_TOPIC, { topic: 'AclClosed' }, 'producer-ak', 'producer-sk')).code, ResponseCode.TOPIC_NOT_EXIST, 'DENY topic');
  assert.ok(!(await topics()).some((t) => t === 'AclLookedUp' || t === 'AclClosed'), 'nothing created');
  // A 4.x producer whose topic has no route sends by the default topic's, and the broker checks that send.
  const fallback = await probe.invoke(C.GET_ROUTEINFO_BY_TOPIC, { topic: 'TBW102' });
  assert.equal(fallback.code, ResponseCode.SUCCESS);
  assert.ok((JSON.parse(fallback.body!.toString()) as { queueDatas: unknown[] }).queueDatas.length > 0);
  assert.ok(!(await topics()).includes('TBW102'), 'the default route creates no topic');
  const signed = await signedInvoke(C.GET_ROUTEINFO_BY_TOPIC, { topic: 'AclOrders3' }, 'admin-ak12', 'admin-sk12');
  assert.equal(signed.code, ResponseCode.SUCCESS, 'an account with rights creates it on lookup');
  assert.ok((await topics()).includes('AclOrders3'));
});

test('a PUB-only account cannot pull, commit offsets or heartbeat a subscription', async () => {
  const pull = await signedInvoke(C.PULL_MESSAGE, { consumerGroup: 'acl-consumers', topic: 'AclOrders', queueId: '0', queueOffset: '0', maxMsgNums: '32', sysFlag: '0', commitOffset: '0', suspendTimeoutMillis: '0' }, 'producer-ak', 'producer-sk');
  assert.equal(pull.code, ResponseCode.NO_PERMISSION);
  assert.match(pull.remark ?? '', /no SUB permission/);
  const commit = await signedInvoke(C.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'acl-consumers', topic: 'AclOrders', queueId: '0', commitOffset: '5' }, 'producer-ak', 'producer-sk');
  assert.equal(commit.code, ResponseCode.NO_PERMISSION);
  const heartbeat = Buffer.from(JSON.stringify({ clientID: 'acl-test', producerDataSet: [], consumerDataSet: [{ groupName: 'acl-consumers', subscriptionDataSet: [{ topic: 'AclOrders', subString: '*' }] }] }));
  assert.equal((await signedInvoke(C.HEART_BEAT, {}, 'producer-ak', 'producer-sk', heartbeat)).code, ResponseCode.NO_PERMISSION);
  assert.equal((await signedInvoke(C.HEART_BEAT, {}, 'consumer-ak', 'consumer-sk', heartbeat)).code, ResponseCode.SUCCESS);
});

test('a non-admin account cannot create a topic; an admin account can', async () => {
  const fields = { topic: 'AclCreated', readQueueNums: '2', writeQueueNums: '2', perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false' };
  const refused = await signedInvoke(C.UPDATE_AND_CREATE_TOPIC, fields, 'producer-ak', 'producer-sk');
  assert.equal(refused.code, ResponseCode.NO_PERMISSION);
  assert.match(refused.remark ?? '', /needs an admin account/);
  const topics = async () => (JSON.parse((await probe.invoke(C.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, {})).body!.toString()) as { topicList: string[] }).topicList;
  assert.ok(!(await topics()).includes('AclCreated'), 'nothing created');
  assert.equal((await signedInvoke(C.UPDATE_AND_CREATE_TOPIC, fields, ADMIN.ak, ADMIN.sk)).code, ResponseCode.SUCCESS);
  assert.ok((await topics()).includes('AclCreated'));
});

test('editing the file takes effect without a restart: a white-listed address then needs no credentials', { timeout: 120_000 }, async () => {
  const unsigned = () => probe.invoke(C.GET_MAX_OFFSET, { topic: 'AclOrders', queueId: '0' });
  assert.equal((await unsigned()).code, ResponseCode.NO_PERMISSION);
  writeFileSync(aclFile, `globalWhiteRemoteAddresses: ['127.0.0.*']\n${RULES}`);
  const deadline = Date.now() + 10_000;
  while ((await unsigned()).code !== ResponseCode.SUCCESS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal((await unsigned()).code, ResponseCode.SUCCESS, 'reloaded within 10 s');
  const events = await produce('AclOpen', 3);
  assert.equal(events.filter((e) => e.event === 'sent').length, 3, `the Java client without credentials sends: ${JSON.stringify(events)}`);
  // A broken edit keeps the rules in force.
  writeFileSync(aclFile, 'accounts: [ {');
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal((await unsigned()).code, ResponseCode.SUCCESS);
  assert.ok(gw.logs.some((l) => /not valid; the rules in force stay/.test(String(l.msg))));
  writeFileSync(aclFile, RULES);
  assert.ok(readFileSync(aclFile, 'utf8').includes('producer-ak'));
});
