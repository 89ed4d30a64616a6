import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSubscription, EVERYTHING, requireServed, servedSubscription, SubscriptionError } from '../../../src/protocol/subscription.js';

const props = (entries: Record<string, string>): Map<string, string> => new Map(Object.entries(entries));

test('TAG subscriptions match by tag; no type, an empty type and TAG are all tag expressions', () => {
  for (const type of [undefined, null, '', 'TAG']) {
    const sub = compileSubscription(type, 'TagA || TagB');
    assert.equal(sub.type, 'TAG');
    assert.ok(sub.matches(props({ TAGS: 'TagB' })));
    assert.ok(!sub.matches(props({ TAGS: 'TagC' })));
    assert.ok(!sub.matches(props({})));
  }
  assert.ok(compileSubscription('TAG', '').matches(props({})), 'an empty tag expression is everything');
  assert.ok(EVERYTHING.matches(props({})));
});

test('SQL92 subscriptions match by properties, TAGS among them, and are compiled once per expression', () => {
  const sub = compileSubscription('SQL92', "a > 5 AND TAGS = 'x'");
  assert.equal(sub.type, 'SQL92');
  assert.deepEqual([...sub.tags.tags], []);
  assert.ok(sub.matches(props({ a: '7', TAGS: 'x' })));
  assert.ok(!sub.matches(props({ a: '7', TAGS: 'y' })));
  assert.ok(!sub.matches(props({ TAGS: 'x' })), 'a missing property is unknown, not a match');
  assert.equal(compileSubscription('SQL92', "a > 5 AND TAGS = 'x'"), sub, 'the same expression is not compiled again');
});

test('a subscription that cannot be served is a SubscriptionError saying why, every time it is asked for', () => {
  for (let n = 0; n < 2; n++) {
    assert.throws(() => compileSubscription('SQL92', 'a >'), (e: unknown) => e instanceof SubscriptionError && e.kind === 'invalid' && /a >/.test(e.message));
  }
  assert.throws(() => compileSubscription('CLASS', 'x'), (e: unknown) => e instanceof SubscriptionError && e.kind === 'unsupported');
  const sql = compileSubscription('SQL92', 'a = 1');
  assert.throws(() => requireServed(sql, false), /does not support consumer to filter message by SQL92/);
  assert.equal(requireServed(sql, true), sql);
  assert.equal(requireServed(EVERYTHING, false), EVERYTHING, 'tags are served with the property filter off');
  // With the filter off, Apache answers "not supported" before it looks at the expression.
  assert.throws(() => servedSubscription('SQL92', 'a >', false), (e: unknown) => e instanceof SubscriptionError && e.kind === 'unsupported');
});

test('more distinct expressions than the compiled cache holds each still compile and match', () => {
  for (let i = 0; i < 3000; i++) assert.ok(compileSubscription('SQL92', `a = ${i}`).matches(props({ a: String(i) })));
});
