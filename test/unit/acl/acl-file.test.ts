import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { AclChangeError, AclFile } from '../../../src/acl/acl-file.js';
import { AclRuleError } from '../../../src/acl/acl-rules.js';
import { createLogger } from '../../../src/logger.js';

const log = createLogger('silent');
const INITIAL = 'accounts:\n  - accessKey: producer1\n    secretKey: secret-1\n    defaultTopicPerm: PUB\n';

function withFile(text: string, run: (path: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rop-acl-'));
    try {
      const path = join(dir, 'plain_acl.yml');
      writeFileSync(path, text);
      await run(path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('a bad file at start is an AclRuleError', withFile('accounts: {}', (path) => {
  assert.throws(() => new AclFile(path, log), AclRuleError);
  assert.throws(() => new AclFile(path + '.missing', log), /cannot read it/);
}));

test('a changed file is reloaded; a bad edit keeps the rules in force', withFile(INITIAL, async (path) => {
  const file = new AclFile(path, log);
  file.watch();
  try {
    writeFileSync(path, INITIAL + '  - accessKey: consumer1\n    secretKey: secret-2\n');
    const deadline = Date.now() + 5000;
    while (!file.rules.accounts.has('consumer1') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(file.rules.accounts.has('consumer1'), 'reloaded within 5 s');
    writeFileSync(path, 'accounts: [ {');
    file.reload();
    assert.ok(file.rules.accounts.has('consumer1'), 'the previous rules stay');
    // What a watcher sees between a writer's truncation and its write.
    writeFileSync(path, '');
    file.reload();
    assert.ok(file.rules.accounts.has('consumer1'), 'an emptied file is taken for one being written');
  } finally {
    file.close();
  }
}));

test('changes are written back with the next data version', withFile(INITIAL, (path) => {
  const file = new AclFile(path, log);
  file.updateAccount({ accessKey: 'consumer1', secretKey: 'secret-22', defaultGroupPerm: 'SUB', topicPerms: ['t=SUB'] });
  file.updateAccount({ accessKey: 'producer1', whiteRemoteAddress: '10.0.0.1' });
  file.setGlobalWhiteAddresses(['10.9.*']);
  const written = parse(readFileSync(path, 'utf8'));
  assert.equal(written.accounts.length, 2);
  assert.equal(written.accounts[0].secretKey, 'secret-1', 'fields not given keep their value');
  assert.equal(written.accounts[0].whiteRemoteAddress, '10.0.0.1');
  assert.deepEqual(written.accounts[1].topicPerms, ['t=SUB']);
  assert.deepEqual(written.globalWhiteRemoteAddresses, ['10.9.*']);
  assert.equal(written.dataVersion[0].counter, 3);
  assert.ok(file.rules.accounts.get('producer1')!.white('10.0.0.1'));
  assert.throws(() => file.updateAccount({ accessKey: 'new-account' }), AclChangeError, 'a new account needs a secret key');
  assert.throws(() => file.updateAccount({ accessKey: 'producer1', topicPerms: ['t=ALL'] }), AclChangeError);
  assert.throws(() => file.setGlobalWhiteAddresses(['nonsense']), AclChangeError);
  assert.equal(file.deleteAccount('consumer1'), true);
  assert.equal(file.deleteAccount('consumer1'), false);
  assert.equal(file.rules.accounts.size, 1);
  assert.equal(file.version.counter, 4);
}));
