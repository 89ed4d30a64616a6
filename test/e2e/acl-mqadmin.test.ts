import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot, startGateway, type GatewayProcess } from '../support/gateway.js';
import { mqadmin } from '../support/mqadmin.js';

// mqadmin 4.9.8 (mqadmin 5 dropped the plain ACL commands) signs with the keys of its ROCKETMQ_HOME/conf/tools.yml.
const MQADMIN_4 = { MQADMIN_VERSION: '4.9.8', MQADMIN_HOME: join(repoRoot, '.cache', 'mqadmin-4.9.8') };
const TOOLS_YML = join(MQADMIN_4.MQADMIN_HOME, 'rocketmq-home', 'conf', 'tools.yml');
const RULES = `accounts:
  - accessKey: admin-ak12
    secretKey: admin-sk12
    admin: true
  - accessKey: plain-ak12
    secretKey: plain-sk12
    defaultTopicPerm: PUB
`;

let dir: string;
let aclFile: string;
let gw: GatewayProcess;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rop-acl-mqadmin-'));
  aclFile = join(dir, 'plain_acl.yml');
  writeFileSync(aclFile, RULES);
  gw = await startGateway({ args: ['--acl-file', aclFile] });
  mkdirSync(join(MQADMIN_4.MQADMIN_HOME, 'rocketmq-home', 'conf'), { recursive: true });
  // mqadmin 4 configures its logging from this file and stops without it.
  writeFileSync(join(MQADMIN_4.MQADMIN_HOME, 'rocketmq-home', 'conf', 'logback_tools.xml'), '<configuration><root level="OFF"/></configuration>\n');
});

after(async () => {
  rmSync(TOOLS_YML, { force: true });
  await gw?.stop();
  gw?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const as = (accessKey: string, secretKey: string) => writeFileSync(TOOLS_YML, `accessKey: ${accessKey}\nsecretKey: ${secretKey}\n`);
const run = (...args: string[]) => mqadmin(gw.address, args, repoRoot, MQADMIN_4);
const written = () => parse(readFileSync(aclFile, 'utf8')) as { accounts: Array<Record<string, unknown>>; globalWhiteRemoteAddresses?: string[]; dataVersion?: Array<{ counter: number }> };

test('mqadmin with admin credentials updates, lists and deletes accounts, written back to the file', { timeout: 180_000 }, async () => {
  as('admin-ak12', 'admin-sk12');
  const update = await run('updateAclConfig', '-b', gw.address, '-a', 'newcomer12', '-s', 'newcomer-sk', '-t', 'TopicX=PUB,TopicY=SUB', '-g', 'GroupX=SUB', '-i', 'DENY');
  assert.match(update, /create or update plain access config to .* success/, update);
  const account = written().accounts.find((a) => a.accessKey === 'newcomer12');
  assert.deepEqual(account?.topicPerms, ['TopicX=PUB', 'TopicY=SUB']);
  assert.equal(account?.defaultTopicPerm, 'DENY');
  const versions = await run('clusterAclConfigVersion', '-c', 'DefaultCluster');
  assert.match(versions, /DefaultCluster\s+rop-broker/, versions);
  const white = await run('updateGlobalWhiteAddr', '-b', gw.address, '-g', '10.10.103.*,192.168.0.*');
  assert.match(white, /update global white remote addresses to .* success/, white);
  assert.deepEqual(written().globalWhiteRemoteAddresses, ['10.10.103.*', '192.168.0.*']);
  const removed = await run('deleteAclConfig', '-b', gw.address, '-a', 'newcomer12');
  assert.match(removed, /delete plain access config account from .* success/, removed);
  assert.ok(!written().accounts.some((a) => a.accessKey === 'newcomer12'));
  assert.equal(written().dataVersion?.[0]?.counter, 3);
});

test('mqadmin with a non-admin account is refused and the file is unchanged', { timeout: 120_000 }, async () => {
  as('plain-ak12', 'plain-sk12');
  const before = readFileSync(aclFile, 'utf8');
  const out = await run('updateAclConfig', '-b', gw.address, '-a', 'intruder12', '-s', 'intruder-sk', '-m', 'true');
  assert.match(out, /CODE: 16|No permission|needs an admin account/i, out);
  assert.equal(readFileSync(aclFile, 'utf8'), before);
});
