import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAclRules } from '../../../src/acl/acl-rules.js';
import { checkAccess } from '../../../src/acl/access-checker.js';
import { remotingNeeds, NAME_SERVER_READS } from '../../../src/acl/remoting-resources.js';
import { grpcNeeds } from '../../../src/acl/grpc-resources.js';
import { remotingSignature, remotingSignedContents } from '../../../src/acl/signature.js';
import { BrokerError } from '../../../src/errors/broker-error.js';
import { RequestCode as C, RefusedRequestCode as R } from '../../../src/protocol/request-code.js';
import { SerializeType, type RemotingCommand } from '../../../src/remoting/remoting-command.js';
import { Perm } from '../../../src/acl/permission.js';

const rules = parseAclRules(`
globalWhiteRemoteAddresses: [10.9.9.*]
accounts:
  - accessKey: publisher
    secretKey: pub-secret
    defaultTopicPerm: PUB
    topicPerms: [closed=DENY]
  - accessKey: consumer
    secretKey: sub-secret
    defaultTopicPerm: SUB
    defaultGroupPerm: SUB
    groupPerms: [other=DENY]
  - accessKey: trusted-host
    secretKey: any-secret
    whiteRemoteAddress: 10.1.1.1
  - accessKey: administrator
    secretKey: adm-secret
    admin: true
`);

const secrets: Record<string, string> = { publisher: 'pub-secret', consumer: 'sub-secret', administrator: 'adm-secret' };

function request(code: number, fields: Record<string, string>, body?: Buffer): RemotingCommand {
  return { code, language: 'JAVA', version: 0, opaque: 1, flag: 0, extFields: fields, body, serializeType: SerializeType.JSON };
}

/** A request signed as AclClientRPCHook signs it (or with `secret` instead of the account's). */
function signed(code: number, accessKey: string, fields: Record<string, string>, body?: Buffer, secret = secrets[accessKey]!): RemotingCommand {
  const ext = { ...fields, AccessKey: accessKey };
  return request(code, { ...ext, Signature: remotingSignature(ext, body, secret) }, body);
}

function decide(req: RemotingCommand, host = '127.0.0.1'): string {
  const { needs, adminOnly } = remotingNeeds(req, 'CODE');
  try {
    checkAccess(rules, {
      host,
      accessKey: req.extFields.AccessKey,
      signed: () => ({ contents: remotingSignedContents(req.extFields, req.body), signature: req.extFields.Signature ? Buffer.from(req.extFields.Signature, 'base64') : undefined }),
      needs,
      adminOnly,
    });
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof BrokerError, String(err));
    return err.kind;
  }
}

const send = (topic: string) => ({ a: 'PG', b: topic, c: 'TBW102', d: '4', e: '0', f: '0', g: '1', h: '0', j: '0', k: 'false', m: 'false' });
const pull = (topic: string, group: string) => ({ consumerGroup: group, topic, queueId: '0', queueOffset: '0', maxMsgNums: '32', sysFlag: '0', commitOffset: '0', suspendTimeoutMillis: '1000' });
const heartbeat = (group: string, topic: string) => Buffer.from(JSON.stringify({ clientID: 'c1', producerDataSet: [], consumerDataSet: [{ groupName: group, subscriptionDataSet: [{ topic }] }] }));

test('credentials: signed right passes; a wrong secret, an unknown key or none at all is unauthorized', () => {
  assert.equal(decide(signed(C.SEND_MESSAGE_V2, 'publisher', send('orders'), Buffer.from('x'))), 'ok');
  assert.equal(decide(signed(C.SEND_MESSAGE_V2, 'publisher', send('orders'), Buffer.from('x'), 'wrong-secret')), 'unauthorized');
  assert.equal(decide(signed(C.SEND_MESSAGE_V2, 'nobody12', send('orders'), Buffer.from('x'), 'whatever')), 'unauthorized');
  assert.equal(decide(request(C.SEND_MESSAGE_V2, send('orders'), Buffer.from('x'))), 'unauthorized');
  const tampered = signed(C.SEND_MESSAGE_V2, 'publisher', send('orders'), Buffer.from('x'));
  tampered.body = Buffer.from('y');
  assert.equal(decide(tampered), 'unauthorized', 'the body is signed');
});

test('white addresses: global ones pass without credentials; an account\'s passes with its key and no signature', () => {
  assert.equal(decide(request(C.UPDATE_AND_CREATE_TOPIC, { topic: 'x' }), '10.9.9.4'), 'ok');
  assert.equal(decide(request(C.SEND_MESSAGE_V2, { ...send('closed'), AccessKey: 'trusted-host' }), '10.1.1.1'), 'ok');
  assert.equal(decide(request(C.SEND_MESSAGE_V2, { ...send('closed'), AccessKey: 'trusted-host' }), '10.1.1.2'), 'unauthorized');
  assert.equal(decide(request(C.SEND_MESSAGE_V2, send('closed')), '10.1.1.1'), 'unauthorized', 'an account\'s white address needs its key');
});

test('sends need PUB on the topic; DENY wins; a send to %RETRY%G needs SUB on group G', () => {
  assert.equal(decide(signed(C.SEND_MESSAGE_V2, 'publisher', send('closed'))), 'forbidden');
  assert.equal(decide(signed(C.SEND_MESSAGE, 'publisher', { producerGroup: 'PG', topic: 'orders', defaultTopic: 'TBW102', defaultTopicQueueNums: '4', queueId: '0' })), 'ok');
  assert.equal(decide(signed(C.SEND_BATCH_MESSAGE, 'consumer', send('orders'))), 'forbidden');
  assert.equal(decide(signed(C.SEND_MESSAGE_V2, 'consumer', send('%RETRY%mine'))), 'ok');
  assert.equal(decide(signed(C.SEND_MESSAGE_V2, 'consumer', send('%RETRY%other'))), 'forbidden');
});

test('pulls, offsets and heartbeats need SUB on topic and group', () => {
  assert.equal(decide(signed(C.PULL_MESSAGE, 'consumer', pull('orders', 'mine'))), 'ok');
  assert.equal(decide(signed(C.PULL_MESSAGE, 'publisher', pull('orders', 'mine'))), 'forbidden');
  assert.equal(decide(signed(C.PULL_MESSAGE, 'consumer', pull('orders', 'other'))), 'forbidden');
  assert.equal(decide(signed(C.UPDATE_CONSUMER_OFFSET, 'consumer', { consumerGroup: 'other', topic: 'orders', queueId: '0', commitOffset: '1' })), 'forbidden');
  assert.equal(decide(signed(C.HEART_BEAT, 'consumer', {}, heartbeat('mine', 'orders'))), 'ok');
  assert.equal(decide(signed(C.HEART_BEAT, 'publisher', {}, heartbeat('mine', 'orders'))), 'forbidden');
  assert.equal(decide(signed(C.HEART_BEAT, 'publisher', {}, Buffer.from(JSON.stringify({ clientID: 'p', producerDataSet: [{ groupName: 'PG' }] })))), 'ok');
  assert.equal(decide(signed(C.CONSUMER_SEND_MSG_BACK, 'consumer', { group: 'other', offset: '1' })), 'forbidden');
});

test('admin codes need an admin account; an admin account without resources may do anything', () => {
  for (const code of [C.UPDATE_AND_CREATE_TOPIC, C.DELETE_TOPIC_IN_BROKER, C.UPDATE_BROKER_CONFIG, C.INVOKE_BROKER_TO_RESET_OFFSET, R.UPDATE_AND_CREATE_ACL_CONFIG, R.GET_BROKER_CLUSTER_ACL_CONFIG]) {
    const fields: Record<string, string> = code === C.UPDATE_AND_CREATE_TOPIC || code === C.DELETE_TOPIC_IN_BROKER ? { topic: 'orders' } : code === C.INVOKE_BROKER_TO_RESET_OFFSET ? { topic: 'orders', group: 'mine', timestamp: '0' } : {};
    assert.equal(decide(signed(code, 'publisher', fields)), 'forbidden', `code ${code}`);
    assert.equal(decide(signed(code, 'administrator', fields)), 'ok', `code ${code}`);
  }
  assert.equal(decide(signed(C.PULL_MESSAGE, 'administrator', pull('anything', 'any'))), 'ok');
});

test('name-server reads are left unchecked, as Apache\'s name server checks none', () => {
  assert.ok(NAME_SERVER_READS.has(C.GET_ROUTEINFO_BY_TOPIC));
  assert.ok(!NAME_SERVER_READS.has(C.DELETE_TOPIC_IN_NAMESRV));
});

test('gRPC calls need what Apache\'s proxy asks', () => {
  const t = (name: string) => ({ name, resourceNamespace: '' });
  assert.deepEqual([...grpcNeeds('SendMessage', { messages: [{ topic: t('a') }, { topic: t('b') }] })], [['a', Perm.PUB], ['b', Perm.PUB]]);
  assert.deepEqual([...grpcNeeds('ReceiveMessage', { group: t('g'), messageQueue: { topic: t('a') } })], [['%RETRY%g', Perm.SUB], ['a', Perm.SUB]]);
  assert.deepEqual([...grpcNeeds('AckMessage', { group: t('g'), topic: { name: 'a', resourceNamespace: 'ns' } })], [['%RETRY%g', Perm.SUB], ['ns%a', Perm.SUB]]);
  assert.deepEqual([...grpcNeeds('QueryRoute', { topic: t('a') })], [['a', Perm.ANY]]);
  assert.deepEqual([...grpcNeeds('Heartbeat', { clientType: 'PRODUCER', group: t('g') })], []);
  assert.deepEqual([...grpcNeeds('Heartbeat', { clientType: 'SIMPLE_CONSUMER', group: t('g') })], [['%RETRY%g', Perm.SUB]]);
});
