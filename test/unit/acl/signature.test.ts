import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSignedAt } from '../../../src/acl/grpc-guard.js';
import { BrokerError } from '../../../src/errors/broker-error.js';
import { grpcSignature, parseAuthorization, remotingSignature, remotingSignedContents, AuthorizationHeaderError } from '../../../src/acl/signature.js';

// Golden values from Apache's own code: `java -jar rop-java-harness.jar acl-sign` (AclUtils.combineRequestContent and
// calSignature of rocketmq-acl 4.9.8) and TLSHelper.sign of the 5.x Java client (rocketmq-client-java).
test('a 4.x signature matches AclUtils over the sorted ext field values and the body', () => {
  const fields = { AccessKey: 'rocketmq2', topic: 'TopicTest', b: 'TopicTest', a: 'PG', SecurityToken: 'tok' };
  assert.equal(remotingSignature(fields, Buffer.from('hello ü ✓', 'utf8'), 'rocketmq2-secret'), 'yQ19hFT8UJDMCBOamou6Y1n2geU=');
  assert.equal(remotingSignature({ ...fields, Signature: 'ignored' }, Buffer.from('hello ü ✓', 'utf8'), 'rocketmq2-secret'), 'yQ19hFT8UJDMCBOamou6Y1n2geU=');
});

test('a query by key is accepted signed with _UNIQUE_KEY_QUERY (as the 4.9.8 client signs) or without (as the broker rebuilds)', () => {
  const fields = { AccessKey: 'RocketMQ', consumerGroup: 'G1', topic: 'T1', queueId: '0', _UNIQUE_KEY_QUERY: 'false' };
  assert.equal(remotingSignature(fields, undefined, '12345678'), 'L8h81Fg0at0OCvkBISDGQPhdCpI=');
  const contents = remotingSignedContents(fields, undefined).map((c) => c.toString('utf8'));
  assert.deepEqual(contents, ['RocketMQfalseG10T1', 'RocketMQG10T1']);
  assert.equal(remotingSignedContents({ AccessKey: 'x' }, undefined).length, 1);
});

test('a 5.x signature is the upper-case hex HMAC-SHA1 of x-mq-date-time, as the Java client signs', () => {
  assert.equal(grpcSignature('20260102T030405Z', 'rocketmq2-secret'), 'CD5287F2CCDF734E5C924526E8FEA7F67A68F53F');
});

test('the authorization header parses as Apache\'s AuthorizationHeader, and refuses what it refuses', () => {
  const a = parseAuthorization('MQv2-HMAC-SHA1 Credential=ak1234567, SignedHeaders=x-mq-date-time, Signature=CD5287F2CCDF734E5C924526E8FEA7F67A68F53F');
  assert.equal(a.algorithm, 'MQv2-HMAC-SHA1');
  assert.equal(a.accessKey, 'ak1234567');
  assert.deepEqual(a.signedHeaders, ['x-mq-date-time']);
  assert.equal(a.signature?.toString('hex').toUpperCase(), 'CD5287F2CCDF734E5C924526E8FEA7F67A68F53F');
  assert.throws(() => parseAuthorization('MQv2-HMAC-SHA1'), AuthorizationHeaderError);
  assert.throws(() => parseAuthorization('MQv2-HMAC-SHA1 Credential'), AuthorizationHeaderError);
  assert.throws(() => parseAuthorization('MQv2-HMAC-SHA1 Credential=a, Signature=xyz'), AuthorizationHeaderError);
});

test('a 5.x call signed too far from the gateway\'s clock, or with a malformed or missing date, is UNAUTHORIZED', () => {
  const now = Date.UTC(2026, 11, 2, 12, 0, 0);
  const unauthorized = (value: string | undefined, why: RegExp) =>
    assert.throws(() => checkSignedAt(value, now), (err: unknown) => err instanceof BrokerError && err.kind === 'unauthorized' && why.test(err.message), String(value));
  assert.doesNotThrow(() => checkSignedAt('20261202T120000Z', now));
  assert.doesNotThrow(() => checkSignedAt('20261202T121400Z', now), 'within 15 minutes ahead');
  assert.doesNotThrow(() => checkSignedAt('20261202T114600Z', now), 'within 15 minutes behind');
  unauthorized('20261202T121600Z', /more than 15 minutes/);
  unauthorized('20261201T120000Z', /more than 15 minutes/);
  unauthorized(undefined, /must be a UTC time/);
  unauthorized('2026-12-02T12:00:00Z', /must be a UTC time/);
  unauthorized('x'.repeat(100_000), /must be a UTC time/);
  unauthorized('20261302T120000Z', /more than 15 minutes/);
});
