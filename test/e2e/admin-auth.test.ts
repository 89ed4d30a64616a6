import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { registerAdminApi, registerGrpcClientApi } from '../../src/admin/admin-api.js';
import { registerOperationsApi } from '../../src/admin/operations-api.js';
import { cliPath, freePort, startGateway, type GatewayProcess } from '../support/gateway.js';
import { RemotingProbe } from '../support/remoting-probe.js';

// The admin HTTP server's access rules against the real gateway: every route admin-api.ts registers refuses a
// request without the right token, the read-only token reads but changes nothing, a foreign Host is refused, and
// health checks stay open to orchestrators.
const ADMIN = 'admin-token-for-the-e2e-test';
const READ = 'read-token-for-the-e2e-test';
const TOPIC = 'AuthTopic';
const GROUP = 'AuthGroup';

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: any }

/** node:http rather than fetch, which does not let a caller choose the Host header. */
function call(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Answer> {
  const url = new URL(path, base);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, body: res.headers['content-type']?.includes('json') && text !== '' ? JSON.parse(text) : text });
      });
    });
    req.on('error', reject).on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.end(payload);
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Every route admin-api.ts and operations-api.ts register, read from Fastify itself, so that a route added later is tested here too. */
async function adminApiRoutes(): Promise<string[]> {
  const app = Fastify();
  const routes: string[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push(`${method} ${r.url}`);
  });
  const unused = (): never => { throw new Error('no request is served here'); };
  registerAdminApi(app, unused);
  registerGrpcClientApi(app, unused);
  registerOperationsApi(app, unused);
  await app.ready();
  await app.close();
  return routes.sort();
}

/**
 * How to call each route, and what it answers the admin token once the test has created its topic and group. A
 * route missing here fails the test: whoever adds one decides what its call looks like.
 */
const CALLS: Record<string, { path: string; body?: unknown; status: number }> = {
  'GET /api/cluster': { path: '/api/cluster', status: 200 },
  'GET /api/topics': { path: '/api/topics', status: 200 },
  'GET /api/topics/:name': { path: `/api/topics/${TOPIC}`, status: 200 },
  'POST /api/topics': { path: '/api/topics', body: { name: 'AuthTopicMadeByAdmin', queues: 2 }, status: 201 },
  'GET /api/groups': { path: '/api/groups', status: 200 },
  'GET /api/groups/:group': { path: `/api/groups/${GROUP}`, status: 200 },
  'POST /api/groups/:group/reset-offsets': { path: `/api/groups/${GROUP}/reset-offsets`, body: { topic: TOPIC, position: 'earliest' }, status: 200 },
  'GET /api/messages': { path: `/api/messages?topic=${TOPIC}&key=no-such-key`, status: 200 },
  'GET /api/grpc-clients': { path: '/api/grpc-clients', status: 200 },
  // no RocketMQ 5 client is connected: the route's own 404, after the token was accepted
  'POST /api/grpc-clients/:clientId/thread-stack': { path: '/api/grpc-clients/nobody/thread-stack', status: 404 },
  'POST /api/grpc-clients/:clientId/verify-message': { path: '/api/grpc-clients/nobody/verify-message', body: { msgId: 'x' }, status: 404 },
  'GET /api/history': { path: `/api/history?topic=${TOPIC}`, status: 200 },
  // no client has written a trace: the trace topic's own 404, after the token was accepted
  'GET /api/trace': { path: '/api/trace?msgId=no-such-message', status: 404 },
  'GET /api/groups/:group/running-info': { path: `/api/groups/${GROUP}/running-info`, status: 200 },
  'GET /api/groups/:group/dead-letters': { path: `/api/groups/${GROUP}/dead-letters`, status: 200 },
  'POST /api/groups/:group/dead-letters/resend': { path: `/api/groups/${GROUP}/dead-letters/resend`, body: { all: true }, status: 200 },
  'POST /api/topics/:name/messages': { path: `/api/topics/${TOPIC}/messages`, body: { body: 'sent with the admin token' }, status: 201 },
};

const callOf = (route: string) => {
  const [method, url] = route.split(' ') as [string, string];
  const c = CALLS[method === 'HEAD' ? `GET ${url}` : route];
  assert.ok(c, `${route} is registered in admin-api.ts but this test does not know how to call it: add it to CALLS`);
  return { method, ...c };
};

function assertRefused(r: Answer, status: 401 | 403, what: string, challenge: RegExp): void {
  assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
  assert.match(String(r.headers['www-authenticate']), challenge, `${what}: WWW-Authenticate`);
  if (typeof r.body === 'object') assert.equal(typeof r.body.error, 'string', `${what}: a JSON error`);
  else assert.equal(r.body, '', `${what}: HEAD has no body`);
}

test('each admin API route wants a token: 401 without or with a wrong one, 403 for the read role\'s changes, its answer with the right one', { timeout: 60_000 }, async (t) => {
  const routes = await adminApiRoutes();
  assert.ok(routes.length >= Object.keys(CALLS).length, `routes found: ${routes.join(', ')}`);
  for (const key of Object.keys(CALLS)) assert.ok(routes.includes(key), `${key} is still registered`);

  const gw = await startGateway({ http: true, args: ['--admin-token', ADMIN, '--admin-read-token', READ] });
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
  });
  const base = gw.httpUrl!;
  assert.equal((await call(base, 'POST', '/api/topics', bearer(ADMIN), { name: TOPIC, queues: 2 })).status, 201);
  const probe = await RemotingProbe.connect(gw.address);
  assert.equal((await probe.invoke(15, { consumerGroup: GROUP, topic: TOPIC, queueId: '0', commitOffset: '0' })).code, 0);
  probe.close();

  for (const route of routes) {
    const { method, path, body, status } = callOf(route);
    assertRefused(await call(base, method, path, {}, body), 401, `${route} without a token`, /^Bearer realm="rop-admin"$/);
    assertRefused(await call(base, method, path, bearer('not-the-token-at-all'), body), 401, `${route} with a wrong token`, /^Bearer .*error="invalid_token"/);
    assertRefused(await call(base, method, path, { authorization: `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}` }, body), 401, `${route} with another scheme`, /^Bearer/);
    const asReader = await call(base, method, path, bearer(READ), body);
    if (method === 'GET' || method === 'HEAD') assert.equal(asReader.status, status, `${route} with the read token: ${JSON.stringify(asReader.body)}`);
    else assertRefused(asReader, 403, `${route} with the read token`, /error="insufficient_scope"/);
    const asAdmin = await call(base, method, path, bearer(ADMIN), body);
    assert.equal(asAdmin.status, status, `${route} with the admin token: ${JSON.stringify(asAdmin.body)}`);
  }
  const topics = await call(base, 'GET', '/api/topics', { authorization: `bearer ${READ}` });
  assert.ok(topics.body.some((x: { name: string }) => x.name === 'AuthTopicMadeByAdmin'), 'the admin token\'s POST took effect; the scheme name is case-insensitive');
  assert.equal((await call(base, 'GET', '/api/nowhere')).status, 401, 'an unknown /api path tells nothing without a token');
  assert.equal((await call(base, 'GET', '/api/nowhere', bearer(READ))).status, 404);
  assert.equal((await call(base, 'GET', '/%61pi/topics')).status, 401, 'a percent-encoded path reaches the same guarded route');

  // open: probes, the dashboard's files (no data in them), and /metrics without --metrics-auth
  for (const path of ['/healthz', '/readyz', '/', '/dashboard.js', '/api.js', '/metrics']) {
    assert.equal((await call(base, 'GET', path)).status, 200, `${path} without a token`);
  }

  // DNS rebinding: a page whose name now points here still sends its own name as Host
  const port = new URL(base).port;
  for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${Number(port) + 1}`]) {
    const r = await call(base, 'GET', '/api/topics', { ...bearer(ADMIN), host });
    assert.equal(r.status, 421, `Host ${host}`);
    assert.match(r.body.error, /does not answer for Host .*--admin-allowed-hosts/);
    assert.equal((await call(base, 'GET', '/', { host })).status, 421, `the dashboard for Host ${host}`);
    assert.equal((await call(base, 'GET', '/healthz', { host })).status, 200, `/healthz for Host ${host}: probes name the pod's address`);
  }
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `LOCALHOST:${port}`]) {
    assert.equal((await call(base, 'GET', '/api/topics', { ...bearer(ADMIN), host })).status, 200, `Host ${host}`);
  }
  // Bad input: a token of 8 KB, one of 100 KB (past Node's 16 KB header limit: refused before any handler, the
  // connection closed), a scheme without a token; each refused, and the server serves after.
  assertRefused(await call(base, 'GET', '/api/topics', bearer('x'.repeat(8_000))), 401, 'an 8 KB token', /error="invalid_token"/);
  // On a connection of its own: the server drops it, and a kept-alive one would fail the next request.
  const huge = await new Promise<string>((resolve) => {
    const req = request(new URL('/api/topics', base), { agent: false, headers: bearer('x'.repeat(100_000)) }, (res) => {
      res.resume();
      resolve(String(res.statusCode));
    });
    req.on('error', (err) => resolve(err.message)).end();
  });
  assert.match(huge, /^431$|ECONNRESET|socket hang up/, 'a 100 KB header');
  assert.equal((await call(base, 'GET', '/api/topics', { authorization: 'Bearer' })).status, 401, 'a scheme without a token');
  assert.equal((await call(base, 'GET', '/api/topics', bearer(ADMIN))).status, 200, 'still serving');
  assert.deepEqual(gw.logs.filter((l) => Number(l.level) >= 50), [], 'no error line');
  const listening = gw.logs.find((l) => l.msg === 'admin http listening');
  assert.deepEqual(listening?.tokenRoles, ['admin', 'read']);
  assert.ok(!JSON.stringify(gw.logs).includes(ADMIN) && !JSON.stringify(gw.logs).includes(READ), 'no token in the log');
});

test('--metrics-auth, tokens from the environment and a file, and --admin-allowed-hosts replacing the defaults', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rop-admin-auth-'));
  const readFile = join(dir, 'read-token');
  writeFileSync(readFile, `${READ}\n`);
  const gw = await startGateway({
    http: true,
    args: ['--admin-read-token-file', readFile, '--admin-allowed-hosts', 'rop.test,127.0.0.1'],
    env: { ROP_ADMIN_TOKEN: ADMIN, ROP_METRICS_AUTH: 'true' },
  });
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const base = gw.httpUrl!;
  assertRefused(await call(base, 'GET', '/metrics'), 401, '/metrics without a token', /^Bearer/);
  for (const token of [READ, ADMIN]) {
    const r = await call(base, 'GET', '/metrics', bearer(token));
    assert.equal(r.status, 200);
    assert.match(r.body, /^# HELP /m, 'Prometheus text');
  }
  assert.equal((await call(base, 'GET', '/healthz')).status, 200);
  assert.equal((await call(base, 'GET', '/api/cluster', { ...bearer(READ), host: 'rop.test' })).status, 200, 'a listed name, on any port');
  assert.equal((await call(base, 'GET', '/api/cluster', { ...bearer(READ), host: 'rop.test:443' })).status, 200);
  assert.equal((await call(base, 'GET', '/api/cluster', { ...bearer(READ), host: `localhost:${new URL(base).port}` })).status, 421, 'the list replaces the defaults');
  assert.equal((await call(base, 'POST', '/api/topics', bearer(ADMIN), { name: 'EnvTokenTopic' })).status, 201, 'ROP_ADMIN_TOKEN is the admin token');
});

test('on loopback without a token the API stays open, but only for its own Host names', { timeout: 60_000 }, async (t) => {
  const gw = await startGateway({ http: true });
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
  });
  const base = gw.httpUrl!;
  assert.equal((await call(base, 'GET', '/api/topics')).status, 200);
  assert.equal((await call(base, 'POST', '/api/topics', {}, { name: 'OpenTopic' })).status, 201);
  assert.equal((await call(base, 'GET', '/metrics')).status, 200);
  assert.equal((await call(base, 'GET', '/api/topics', { host: 'rebound.example' })).status, 421, 'DNS rebinding is refused even with no token');
  assert.equal((await call(base, 'POST', '/api/topics', { host: 'rebound.example' }, { name: 'Rebound' })).status, 421);
});

test('beyond loopback: no token is one line and exit 2, --admin-insecure starts with a warning, the token is never printed', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rop-admin-exposed-'));
  const httpPort = await freePort();
  const rop = (...args: string[]) => spawnSync(process.execPath, [cliPath, '--port', '0', '--grpc-port', '0', '--data-dir', dir, ...args], { encoding: 'utf8', timeout: 20_000 });
  // 127.0.0.2 reaches this machine only, yet is not one of the loopback names the rule trusts
  const refusals: Array<[string[], RegExp]> = [
    [['--host', '127.0.0.2', '--http-port', String(httpPort)], /^error: the admin HTTP server would listen on 127\.0\.0\.2 with no token: give --admin-token .*--admin-insecure/],
    [['--admin-token', 'short'], /^error: --admin-token is too short/],
    [['--metrics-auth'], /^error: --metrics-auth needs a token/],
    [['--admin-allowed-hosts', 'a b'], /^error: .*expected host names/],
  ];
  try {
    for (const [args, expected] of refusals) {
      const r = rop(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, expected);
    }
    const printed = rop('--admin-token', ADMIN, '--print-config');
    assert.equal(printed.status, 0, printed.stderr);
    assert.ok(!printed.stdout.includes(ADMIN), 'the token is not printed');
    assert.match(printed.stdout, /^# adminToken: \(set, not shown\)  # cli$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const gw: GatewayProcess = await startGateway({ args: ['--host', '127.0.0.2', '--http-port', String(httpPort), '--admin-insecure'] });
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
  });
  const warning = gw.logs.find((l) => l.level === 40 && /--admin-insecure/.test(String(l.msg)));
  assert.ok(warning, `a warning says the admin server is open: ${JSON.stringify(gw.logs.filter((l) => l.level === 40))}`);
  const base = `http://127.0.0.2:${httpPort}`;
  assert.equal((await call(base, 'GET', '/api/topics')).status, 200, 'open, as asked');
  assert.equal((await call(base, 'GET', '/api/topics', { host: 'evil.example' })).status, 421, 'Host still checked');
});
