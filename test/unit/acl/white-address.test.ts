import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressMatcher, AddressPatternError, clientHost } from '../../../src/acl/white-address.js';

test('white address patterns match as Apache\'s RemoteAddressStrategyFactory', () => {
  const cases: Array<[string, string[], string[]]> = [
    ['*', ['10.1.2.3', '::1'], []],
    ['*.*.*.*', ['10.1.2.3'], []],
    ['192.168.0.{1,2}', ['192.168.0.1', '192.168.0.2'], ['192.168.0.3', '192.168.1.1']],
    ['10.0.0.1,10.0.0.9', ['10.0.0.1', '10.0.0.9'], ['10.0.0.2']],
    ['192.168.1.1-5', ['192.168.1.1', '192.168.1.5'], ['192.168.1.6', '192.168.2.3']],
    ['192.168.*', ['192.168.0.1', '192.168.255.7'], ['192.169.0.1']],
    ['192.168.*.*', ['192.168.3.4'], ['10.168.3.4']],
    ['10.10.100-200.*', ['10.10.150.1'], ['10.10.99.1', '10.10.201.1']],
    ['127.0.0.1', ['127.0.0.1'], ['127.0.0.2']],
    ['::1', ['::1', '0:0:0:0:0:0:0:1'], ['::2']],
    ['', [], ['127.0.0.1']],
  ];
  for (const [pattern, yes, no] of cases) {
    const match = addressMatcher(pattern);
    for (const host of yes) assert.ok(match(host), `${pattern} should match ${host}`);
    for (const host of no) assert.ok(!match(host), `${pattern} should not match ${host}`);
  }
});

test('malformed patterns are refused with a typed error', () => {
  for (const bad of ['192.168.1.300', 'not-an-ip', '192.168.1.5-1', '192.168.1.1-999', 'a.b.c.{1,2}', '1.2.3.{x}', '10.*.0.1']) {
    assert.throws(() => addressMatcher(bad), AddressPatternError, bad);
  }
});

test('a client host drops IPv4-mapped IPv6 and brackets', () => {
  assert.equal(clientHost('::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(clientHost('[::1]'), '::1');
  assert.equal(clientHost('10.0.0.1'), '10.0.0.1');
});
