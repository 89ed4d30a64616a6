import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatJavaProperties, parseJavaProperties } from '../../../src/protocol/java-properties.js';

test('mqadmin\'s `key=value` lines, and what else Properties.load reads: other separators, comments, continuations, escapes', () => {
  const text = [
    '# a comment',
    '! another',
    '',
    'defaultTopicQueueNums=2',
    '  autoCreateTopicEnable : false',
    'messageDelayLevel 1s 5s \\',
    '     10s',
    'path=C:\\\\data\\\\rop',
    'key\\ with\\=odd\\:chars=v',
    'unicode=\\u00fc\\u5024',
    'empty=',
    'tabbed=\\tx\\n',
  ].join('\r\n');
  assert.deepEqual(Object.fromEntries(parseJavaProperties(text)), {
    defaultTopicQueueNums: '2',
    autoCreateTopicEnable: 'false',
    messageDelayLevel: '1s 5s 10s',
    path: 'C:\\data\\rop',
    'key with=odd:chars': 'v',
    unicode: 'ü値',
    empty: '',
    tabbed: '\tx\n',
  });
});

test('a malformed \\u escape is refused, not guessed', () => {
  assert.throws(() => parseJavaProperties('a=\\u12'), /malformed/);
});

test('written lines read back the same, with every character outside ASCII escaped', () => {
  const entries: Array<[string, string]> = [['storePathRootDir', '/data/rop ü'], ['messageDelayLevel', '1s 5s'], ['odd key=:', ' lead\\ing\n'], ['emoji', '😀']];
  const text = formatJavaProperties(entries);
  assert.match(text, /^storePathRootDir=\/data\/rop \\u00fc\nmessageDelayLevel=1s 5s\n/);
  assert.ok([...text].every((c) => c.charCodeAt(0) < 0x80), 'ASCII only');
  assert.deepEqual([...parseJavaProperties(text)], entries);
});
