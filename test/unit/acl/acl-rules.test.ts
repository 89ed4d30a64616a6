import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AclRuleError, parseAclRules } from '../../../src/acl/acl-rules.js';
import { Perm } from '../../../src/acl/permission.js';

const APACHE_SAMPLE = `
globalWhiteRemoteAddresses:
  - 10.10.103.*
  - 192.168.0.*
accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - topicA=DENY
      - topicB=PUB|SUB
      - topicC=SUB
    groupPerms:
      - groupA=DENY
      - groupB=PUB|SUB
      - groupC=SUB
  - accessKey: rocketmq2
    secretKey: 12345678
    whiteRemoteAddress: 192.168.1.*
    admin: true
`;

test('Apache\'s sample plain_acl.yml parses into accounts, groups keyed by their retry topic', () => {
  const rules = parseAclRules(APACHE_SAMPLE);
  assert.equal(rules.globalWhite.length, 2);
  assert.ok(rules.globalWhite[0]!('10.10.103.7'));
  const mq = rules.accounts.get('RocketMQ')!;
  assert.equal(mq.secretKey, '12345678');
  assert.equal(mq.admin, false);
  assert.equal(mq.defaultTopicPerm, Perm.DENY);
  assert.equal(mq.defaultGroupPerm, Perm.SUB);
  assert.equal(mq.resources.get('topicB'), Perm.PUB | Perm.SUB);
  assert.equal(mq.resources.get('%RETRY%groupC'), Perm.SUB);
  assert.ok(!mq.white('192.168.1.1'));
  const admin = rules.accounts.get('rocketmq2')!;
  assert.equal(admin.admin, true);
  assert.equal(admin.defaultTopicPerm, Perm.DENY, 'a default left out is DENY, as Apache reads it');
  assert.ok(admin.white('192.168.1.20'));
});

test('an empty file is no accounts and no white addresses', () => {
  const rules = parseAclRules('');
  assert.equal(rules.accounts.size, 0);
  assert.equal(rules.globalWhite.length, 0);
});

test('bad files are refused with one line naming the problem', () => {
  const cases: Array<[string, RegExp]> = [
    ['accounts: [ {', /not valid YAML/],
    ['- a\n- b', /must hold a mapping/],
    ['accounts: {}', /accounts must be a list/],
    ['accounts:\n  - accessKey: short\n    secretKey: 12345678', /accounts\[0\]\.accessKey must be longer than 6/],
    ['accounts:\n  - accessKey: longenough\n    secretKey: 123', /secretKey must be longer than 6/],
    ['accounts:\n  - accessKey: longenough\n    secretKey: 12345678\n    defaultTopicPerm: ALL', /defaultTopicPerm is "ALL"/],
    ['accounts:\n  - accessKey: longenough\n    secretKey: 12345678\n    topicPerms: [topicA]', /topicPerms entry "topicA" must be name=PERM/],
    ['accounts:\n  - accessKey: longenough\n    secretKey: 12345678\n    groupPerms: [g=READ]', /groupPerms entry/],
    ['accounts:\n  - accessKey: longenough\n    secretKey: 12345678\n    whiteRemoteAddress: 1.2.3.999', /whiteRemoteAddress/],
    ['accounts:\n  - accessKey: longenough\n    secretKey: 12345678\n  - accessKey: longenough\n    secretKey: 12345678', /listed twice/],
    ['globalWhiteRemoteAddresses: [nonsense]', /globalWhiteRemoteAddresses\[0\]/],
    ['accounts:\n  - accessKey: longenough\n    secretKey: 12345678\n    admin: yes-please', /admin must be true or false/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseAclRules(text), (err: unknown) => err instanceof AclRuleError && message.test(err.message) && !err.message.includes('\n'), text);
  }
});
