import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, makeClientConstructor, Metadata, type Client } from '@grpc/grpc-js';
import { loadMessagingService } from '../../src/grpc/proto.js';
import { grpcSignature, remotingSignature } from '../../src/acl/signature.js';
import { RequestCode as C, ResponseCode } from '../../src/protocol/request-code.js';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { RemotingProbe } from '../support/remoting-probe.js';

// Credentials that are malformed, missing parts, huge or signed at a skewed time: each refused with the protocol's
// code, never an internal error, and the gateway keeps serving without an error line in its log.
const RULES = `accounts:
  - accessKey: bad-input-ak
    secretKey: bad-input-sk
    admin: true
`;
const AK = 'bad-input-ak';
const SK = 'bad-input-sk';

let dir: string;
let gw: GatewayProcess;
let probe: RemotingProbe;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rop-acl-bad-'));
  writeFileSync(join(dir, 'plain_acl.yml'), RULES);
  gw = await startGateway({ grpc: true, args: ['--acl-file', join(dir, 'plain_acl.yml')] });
  probe = await RemotingProbe.connect(gw.address);
});

after(async () => {
  probe?.close();
  await gw?.stop();
  gw?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const errorLines = () => gw.logs.filter((l) => Number(l.level) >= 50);

test('malformed, partial or huge 4.x credentials are NO_PERMISSION; signed right still works', async () => {
  const fields = { topic: 'BadInputTopic', queueId: '0' };
  const signed = (ext: Record<string, string>) => ({ ...ext, Signature: remotingSignature(ext, undefined, SK) });
  const cases: Array<[string, Record<string, string>]> = [
    ['no credentials', fields],
    ['a key without a signature', { ...fields, AccessKey: AK }],
    ['a signature without a key', { ...fields, Signature: 'c2lnbmF0dXJl' }],
    ['a signature that is not base64', { ...fields, AccessKey: AK, Signature: '%%%not base64%%%' }],
    ['an empty signature', { ...fields, AccessKey: AK, Signature: '' }],
    ['a huge signature', { ...fields, AccessKey: AK, Signature: 'A'.repeat(200_000) }],
    ['a huge key', { ...fields, AccessKey: 'k'.repeat(200_000), Signature: 'c2ln' }],
    ['a signature over other fields', { ...signed({ ...fields, AccessKey: AK }), queueId: '1' }],
  ];
  for (const [what, ext] of cases) {
    const r = await probe.invoke(C.GET_MAX_OFFSET, ext);
    assert.equal(r.code, ResponseCode.NO_PERMISSION, what);
    assert.ok((r.remark ?? '').length > 0 && (r.remark ?? '').length < 1000, `${what}: a short remark`);
  }
  await probe.invoke(C.UPDATE_AND_CREATE_TOPIC, signed({ topic: 'BadInputTopic', readQueueNums: '1', writeQueueNums: '1', perm: '6', AccessKey: AK }));
  assert.equal((await probe.invoke(C.GET_MAX_OFFSET, signed({ ...fields, AccessKey: AK }))).code, ResponseCode.SUCCESS);
  assert.deepEqual(errorLines(), []);
});

type Unary = (request: unknown, metadata: Metadata, callback: (err: Error | null, response: Record<string, unknown>) => void) => void;

test('malformed, skewed or huge 5.x credentials are UNAUTHORIZED; signed right still works', async () => {
  const Ctor = makeClientConstructor(loadMessagingService(), 'MessagingService');
  const client = new Ctor(gw.grpcAddress!, credentials.createInsecure()) as Client & Record<string, Unary>;
  const queryRoute = (headers: Record<string, string>) => new Promise<Record<string, unknown>>((resolve, reject) => {
    const metadata = new Metadata();
    metadata.set('x-mq-client-id', 'acl-bad-input');
    for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
    client.QueryRoute!({ topic: { name: 'BadInputTopic' }, endpoints: { addresses: [] } }, metadata, (err, res) => (err ? reject(err) : resolve(res)));
  });
  const stamp = (at: Date) => at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const auth = (signedAt: string, ak = AK, sk = SK) =>
    `MQv2-HMAC-SHA1 Credential=${ak}, SignedHeaders=x-mq-date-time, Signature=${grpcSignature(signedAt, sk)}`;
  const now = stamp(new Date());
  const skewed = stamp(new Date(Date.now() - 60 * 60_000));
  try {
    const cases: Array<[string, Record<string, string>]> = [
      ['no credentials', {}],
      ['a header that is not MQv2', { authorization: 'Bearer abc', 'x-mq-date-time': now }],
      ['a header without its parts', { authorization: 'MQv2-HMAC-SHA1 Credential=', 'x-mq-date-time': now }],
      ['a signature that is not hex', { authorization: `MQv2-HMAC-SHA1 Credential=${AK}, SignedHeaders=x-mq-date-time, Signature=zzzz`, 'x-mq-date-time': now }],
      ['a wrong secret', { authorization: auth(now, AK, 'other-secret'), 'x-mq-date-time': now }],
      ['a date an hour ago', { authorization: auth(skewed), 'x-mq-date-time': skewed }],
      ['no date', { authorization: auth(now) }],
      ['a malformed date', { authorization: auth('yesterday'), 'x-mq-date-time': 'yesterday' }],
      ['a huge header', { authorization: `MQv2-HMAC-SHA1 Credential=${'k'.repeat(6000)}, SignedHeaders=x-mq-date-time, Signature=00`, 'x-mq-date-time': now }],
    ];
    for (const [what, headers] of cases) {
      const res = await queryRoute(headers);
      assert.equal((res.status as { code: string }).code, 'UNAUTHORIZED', what);
    }
    const ok = await queryRoute({ authorization: auth(now), 'x-mq-date-time': now });
    assert.equal((ok.status as { code: string }).code, 'OK');
  } finally {
    client.close();
  }
  assert.deepEqual(errorLines(), []);
});
