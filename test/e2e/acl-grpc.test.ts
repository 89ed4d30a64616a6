import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { Java5Harness, received5 } from '../support/java5-harness.js';
import type { HarnessEvent } from '../support/java-harness.js';

// Apache RocketMQ's 5.x Java client with StaticSessionCredentialsProvider (MQv2-HMAC-SHA1) against --acl-file.
const RULES = `accounts:
  - accessKey: grpc-producer
    secretKey: grpc-producer-sk
    topicPerms: [GrpcAclTopic=PUB]
  - accessKey: grpc-consumer
    secretKey: grpc-consumer-sk
    topicPerms: [GrpcAclTopic=SUB]
    groupPerms: [grpc-acl-group=SUB]
`;

let dir: string;
let gw: GatewayProcess;
let endpoints: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rop-acl-grpc-'));
  writeFileSync(join(dir, 'plain_acl.yml'), RULES);
  gw = await startGateway({ grpc: true, args: ['--acl-file', join(dir, 'plain_acl.yml')] });
  endpoints = gw.grpcAddress!;
});

after(async () => {
  await gw?.stop();
  gw?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a 5.x command to its end, whatever its exit code, and returns what it reported. */
async function run(command: 'produce' | 'simple-consume', options: Record<string, string | number>): Promise<HarnessEvent[]> {
  const h = Java5Harness.start(command, { endpoints, ...options });
  const timer = setTimeout(() => h.child.kill('SIGKILL'), 60_000);
  await h.exited;
  clearTimeout(timer);
  return h.events;
}

const errorsMatching = (events: HarnessEvent[], pattern: RegExp) => events.filter((e) => e.event === 'error' && pattern.test(`${String(e.message)} ${String(e.cause)}`));

test('the right credentials send and receive over gRPC', { timeout: 120_000 }, async () => {
  const sent = (await run('produce', { topic: 'GrpcAclTopic', count: 5, 'access-key': 'grpc-producer', 'secret-key': 'grpc-producer-sk' })).filter((e) => e.event === 'sent');
  assert.equal(sent.length, 5);
  const events = await run('simple-consume', { topic: 'GrpcAclTopic', group: 'grpc-acl-group', expect: 5, 'timeout-ms': 30_000, 'access-key': 'grpc-consumer', 'secret-key': 'grpc-consumer-sk' });
  assert.equal(new Set(received5(events).map((r) => r.msgId)).size, 5, JSON.stringify(events.filter((e) => e.event === 'error').slice(0, 3)));
});

/** Sends and receives with these credentials: both must be refused, each with an error `refusal` matches. */
async function refusedBoth(producer: [string, string], consumer: [string, string], refusal: RegExp): Promise<void> {
  const send = await run('produce', { topic: 'GrpcAclTopic', count: 1, 'access-key': producer[0], 'secret-key': producer[1] });
  assert.equal(send.filter((e) => e.event === 'sent').length, 0);
  assert.ok(errorsMatching(send, refusal).length > 0, JSON.stringify(send));
  const receive = await run('simple-consume', { topic: 'GrpcAclTopic', group: 'grpc-acl-group', expect: 1, 'timeout-ms': 8000, 'access-key': consumer[0], 'secret-key': consumer[1] });
  assert.equal(received5(receive).length, 0);
  assert.ok(errorsMatching(receive, refusal).length > 0, JSON.stringify(receive));
}

test('a wrong secret is refused UNAUTHORIZED on send and receive', { timeout: 120_000 }, () =>
  refusedBoth(['grpc-producer', 'wrong-secret'], ['grpc-consumer', 'wrong-secret'], /UnauthorizedException: .*response-code=40100/));

test('an account without the right is refused FORBIDDEN', { timeout: 120_000 }, () =>
  refusedBoth(['grpc-consumer', 'grpc-consumer-sk'], ['grpc-producer', 'grpc-producer-sk'], /ForbiddenException: .*response-code=40300/));
