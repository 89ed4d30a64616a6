import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueueLockManager } from '../../../src/broker/queue-lock-manager.js';

const q = (queueId: number) => ({ topic: 'T', brokerName: 'b', queueId });

test('a queue is held by one client of a group; other groups lock independently', () => {
  const locks = new QueueLockManager(60_000, () => 0);
  assert.deepEqual(locks.tryLock('G', 'a', [q(0), q(1)]), [q(0), q(1)]);
  assert.deepEqual(locks.tryLock('G', 'b', [q(1), q(2)]), [q(2)]);
  assert.deepEqual(locks.tryLock('H', 'b', [q(0)]), [q(0)]);
  assert.deepEqual(locks.tryLock('G', 'a', [q(0), q(1), q(2)]), [q(0), q(1)], 'a renews its own, not b\'s');
});

test('a lock not renewed within its lifetime lapses; renewing keeps it', () => {
  let now = 0;
  const locks = new QueueLockManager(60_000, () => now);
  locks.tryLock('G', 'a', [q(0), q(1)]);
  now = 50_000;
  locks.tryLock('G', 'a', [q(0)]);
  now = 60_001;
  assert.deepEqual(locks.tryLock('G', 'b', [q(0), q(1)]), [q(1)], 'q1 lapsed, q0 was renewed at 50 s');
});

test('unlock releases only what the caller holds', () => {
  const locks = new QueueLockManager(60_000, () => 0);
  locks.tryLock('G', 'a', [q(0)]);
  locks.tryLock('G', 'b', [q(1)]);
  locks.unlock('G', 'a', [q(0), q(1)]);
  assert.deepEqual(locks.tryLock('G', 'c', [q(0), q(1)]), [q(0)]);
});
