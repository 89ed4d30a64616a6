import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminAuthSettings, exposureProblem, isLoopback, parseAllowedHosts, resolveAdminAccess } from '../../../src/admin/admin-access-config.js';
import { ConfigError } from '../../../src/config-layers.js';

const ADMIN = 'admin-token-0123456789';
const READ = 'read-token-0123456789';

test('tokens come from their flag or their file, trimmed, and are checked without ever being echoed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rop-admin-auth-'));
  try {
    const file = join(dir, 'token');
    writeFileSync(file, `${ADMIN}\n`);
    assert.equal(adminAuthSettings({ adminTokenFile: file }).adminToken, ADMIN, 'the newline an editor adds is not part of the token');
    assert.deepEqual(adminAuthSettings({ adminToken: ADMIN, adminReadToken: READ }), { adminToken: ADMIN, readToken: READ, metricsAuth: false, insecure: false, allowedHosts: undefined });

    const refused: Array<[Parameters<typeof adminAuthSettings>[0], RegExp, string?]> = [
      [{ adminToken: ADMIN, adminTokenFile: file }, /give --admin-token or --admin-token-file, not both/],
      [{ adminReadToken: READ, adminReadTokenFile: file }, /give --admin-read-token or --admin-read-token-file, not both/],
      [{ adminTokenFile: join(dir, 'missing') }, /cannot read --admin-token-file .*missing/],
      [{ adminToken: 'short-secret' }, /--admin-token is too short .*at least 16/, 'short-secret'],
      [{ adminToken: 'has a space in the middle' }, /--admin-token must be printable ASCII without spaces/, 'has a space'],
      [{ adminReadToken: 'ünïcødé-token-0123456789' }, /--admin-read-token must be printable ASCII/, 'ünïcødé'],
      [{ adminToken: ADMIN, adminReadToken: ADMIN }, /--admin-token and --admin-read-token must differ/, ADMIN],
      [{ metricsAuth: true }, /--metrics-auth needs a token/],
    ];
    writeFileSync(join(dir, 'short'), 'tiny\n');
    refused.push([{ adminTokenFile: join(dir, 'short') }, /the token in .*short is too short/, 'tiny']);
    for (const [options, message, secret] of refused) {
      assert.throws(() => adminAuthSettings(options), (err: Error) => {
        assert.ok(err instanceof ConfigError, `${JSON.stringify(options)} is a ConfigError`);
        assert.match(err.message, message);
        assert.equal(err.message.split('\n').length, 1, 'one line');
        if (secret !== undefined) assert.ok(!err.message.includes(secret), `the token is not in "${err.message}"`);
        return true;
      });
    }
    assert.equal(adminAuthSettings({ adminReadToken: READ, metricsAuth: true }).metricsAuth, true, 'the read token alone is enough for --metrics-auth');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('beyond loopback the admin server needs a token or an explicit --admin-insecure', () => {
  const none = adminAuthSettings({});
  for (const host of ['127.0.0.1', '::1', 'localhost', 'LOCALHOST']) {
    assert.ok(isLoopback(host), host);
    assert.equal(exposureProblem(host, 8080, none), undefined, `${host} stays open without a token`);
  }
  for (const host of ['0.0.0.0', '::', '10.1.2.3', '127.0.0.2', 'gateway.example']) {
    assert.match(exposureProblem(host, 8080, none) ?? '', new RegExp(`would listen on ${host.replace(/\./g, '\\.')} with no token: give --admin-token .* --admin-insecure`), host);
    assert.equal(exposureProblem(host, 0, none), undefined, `${host}: no admin server, nothing to protect`);
    assert.equal(exposureProblem(host, 8080, adminAuthSettings({ adminToken: ADMIN })), undefined, `${host} with the admin token`);
    assert.equal(exposureProblem(host, 8080, adminAuthSettings({ adminReadToken: READ })), undefined, `${host} with a read token only`);
    assert.equal(exposureProblem(host, 8080, adminAuthSettings({ adminInsecure: true })), undefined, `${host} with --admin-insecure`);
  }
});

test('allowed Host names: a checked list, or by default loopback, the bind host and the advertised host on the admin port', () => {
  assert.deepEqual(parseAllowedHosts('Admin.Example.com, 10.0.0.5:8080,[::1]:9000,*'), ['admin.example.com', '10.0.0.5:8080', '[::1]:9000', '*']);
  for (const bad of ['', ' , ', 'a b', 'http://x', 'x:port', '::1', '-x.example', 'a/b']) {
    assert.throws(() => parseAllowedHosts(bad), /expected/, JSON.stringify(bad));
  }
  const settings = adminAuthSettings({ adminToken: ADMIN });
  assert.deepEqual(resolveAdminAccess(settings, '0.0.0.0', 'gw1.example:9876', 8080).allowedHosts, ['localhost:8080', '127.0.0.1:8080', '[::1]:8080', '0.0.0.0:8080', 'gw1.example:8080']);
  assert.deepEqual(resolveAdminAccess(settings, '::', undefined, 18080).allowedHosts, ['localhost:18080', '127.0.0.1:18080', '[::1]:18080', '[::]:18080']);
  assert.deepEqual(resolveAdminAccess(settings, '127.0.0.1', undefined, 8080).allowedHosts, ['localhost:8080', '127.0.0.1:8080', '[::1]:8080'], 'no duplicates');
  const given = resolveAdminAccess(adminAuthSettings({ adminAllowedHosts: ['admin.example'] }), '0.0.0.0', undefined, 8080);
  assert.deepEqual(given.allowedHosts, ['admin.example'], 'a list given replaces the defaults');
});
