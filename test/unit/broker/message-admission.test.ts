import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admitBatchBody, admitMessages } from '../../../src/broker/message-admission.js';
import { BrokerError } from '../../../src/errors/broker-error.js';
import { grpcStatus, remotingErrorAnswer } from '../../../src/errors/boundaries.js';
import type { NewMessage } from '../../../src/store/message-store.js';

// The door both protocols' sends pass: Apache's broker's topic rules and its store's body and properties limits.
const message = (body: number, properties: Record<string, string> = {}): NewMessage => ({
  body: Buffer.alloc(body), flag: 0, sysFlag: 0, properties: new Map(Object.entries(properties)), bornTimestamp: 0, bornHost: '127.0.0.1:1', reconsumeTimes: 0, preparedTransactionOffset: 0n,
});

/** The error `fn` throws, as each protocol answers it. */
function answers(fn: () => void): { kind: string; remoting: number; grpc: string; message: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof BrokerError, String(err));
    return { kind: err.kind, remoting: remotingErrorAnswer(err).code, grpc: grpcStatus(err).code, message: err.message };
  }
  assert.fail('not refused');
}

test('a body over the limit is MESSAGE_ILLEGAL / MESSAGE_BODY_TOO_LARGE naming the limit, in a batch too; at the limit it passes', () => {
  admitMessages('T', [message(4096)], 4096);
  const alone = answers(() => admitMessages('T', [message(4097)], 4096));
  assert.deepEqual([alone.remoting, alone.grpc], [13, 'MESSAGE_BODY_TOO_LARGE']);
  assert.match(alone.message, /4097 bytes is over the limit of 4096 bytes/);
  assert.equal(answers(() => admitMessages('T', [message(1), message(4097)], 4096)).grpc, 'MESSAGE_BODY_TOO_LARGE');
  admitBatchBody(4096, 4096);
  assert.match(answers(() => admitBatchBody(4097, 4096)).message, /batch body of 4097 bytes is over the limit of 4096 bytes/);
});

test('properties over 32,767 bytes in the 4.x encoding are MESSAGE_ILLEGAL / MESSAGE_PROPERTIES_TOO_LARGE: a key of 70,000 bytes among them', () => {
  for (const properties of [{ KEYS: `short ${'k'.repeat(70_000)}` }, { big: 'v'.repeat(40_000) }] as Array<Record<string, string>>) {
    const refused = answers(() => admitMessages('T', [message(1), message(1, properties)], 1 << 20));
    assert.deepEqual([refused.remoting, refused.grpc], [13, 'MESSAGE_PROPERTIES_TOO_LARGE']);
    assert.match(refused.message, /over RocketMQ's limit of 32767/);
  }
  // name, separators and value: 32,767 bytes in all
  admitMessages('T', [message(1, { big: 'v'.repeat(32_767 - 'big'.length - 2) })], 1 << 20);
  assert.equal(answers(() => admitMessages('T', [message(1, { big: 'v'.repeat(32_767 - 'big'.length - 1) })], 1 << 20)).kind, 'message-properties-too-large');
});

test('topic names are checked as Apache\'s TopicValidator checks them, and system topics are not sendable', () => {
  for (const topic of ['', 'a b', 'a/b', 'ü', 'T'.repeat(128)]) {
    const refused = answers(() => admitMessages(topic, [message(1)], 1024));
    assert.deepEqual([refused.remoting, refused.grpc], [29, 'ILLEGAL_TOPIC'], JSON.stringify(topic));
  }
  assert.ok(answers(() => admitMessages('x'.repeat(5_000_000), [message(1)], 1024)).message.length < 400, 'a huge name is not echoed whole');
  admitMessages('%RETRY%G|a-b_c', [message(1)], 1024);
  assert.deepEqual(Object.values(answers(() => admitMessages('SCHEDULE_TOPIC_XXXX', [message(1)], 1024))).slice(0, 3), ['forbidden', 16, 'FORBIDDEN']);
});
