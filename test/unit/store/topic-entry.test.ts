import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freeQueueKey, retiredKey, topicWriteAccepted, type TopicEntry } from '../../../src/store/pulsar/topic-entry.js';

const entry = (name: string, queueKeys: number[]): TopicEntry =>
  ({ name, readQueueNums: queueKeys.length, writeQueueNums: queueKeys.length, perm: 6, topicSysFlag: 0, order: false, queueKeys });

test('a deleted topic\'s retired entry takes over its keys, and no topic may take them after, not even one of the same name', () => {
  const state = new Map<string, TopicEntry>([['T', entry('T', [0, 1])], ['U', entry('U', [2])]]);
  assert.equal(topicWriteAccepted(state, retiredKey('T'), entry('T', [0, 1])), true, 'retiring T\'s own keys');
  assert.equal(topicWriteAccepted(state, retiredKey('T'), entry('T', [0, 1, 2])), false, 'not another topic\'s keys');
  state.set(retiredKey('T'), entry('T', [0, 1]));
  state.delete('T');
  assert.equal(freeQueueKey(state, []), 3);
  assert.equal(topicWriteAccepted(state, 'T', entry('T', [0])), false, 'T created again gets new keys');
  assert.equal(topicWriteAccepted(state, 'V', entry('V', [1])), false);
  assert.equal(topicWriteAccepted(state, 'T', entry('T', [3, 4])), true);
  state.set('T', entry('T', [3, 4]));
  assert.equal(topicWriteAccepted(state, retiredKey('T'), entry('T', [0, 1, 3, 4])), true, 'deleted again: the retired keys grow');
  assert.equal(topicWriteAccepted(state, retiredKey('T'), entry('T', [3, 4])), false, 'never forgetting earlier ones');
});

test('a write keeps its stored keys as a prefix, with distinct keys in range', () => {
  const state = new Map<string, TopicEntry>([['T', entry('T', [5, 6])]]);
  assert.equal(topicWriteAccepted(state, 'T', entry('T', [5, 6, 7])), true);
  assert.equal(topicWriteAccepted(state, 'T', entry('T', [6, 5])), false);
  assert.equal(topicWriteAccepted(state, 'T', entry('T', [5])), false);
  assert.equal(topicWriteAccepted(state, 'U', entry('U', [8, 8])), false);
  assert.equal(topicWriteAccepted(state, 'U', entry('U', [-1])), false);
  assert.equal(topicWriteAccepted(state, 'T', undefined), true, 'a delete always passes');
  assert.equal(freeQueueKey(state, [0, 1]), 2);
});
