import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { REQUEST_HEADERS } from '../../src/protocol/request-headers.js';
import { requestCodeName, ResponseCode } from '../../src/protocol/request-code.js';
import type { AnyHeaderDeclaration } from '../../src/protocol/request-header.js';

// Every declared header, field by field, at a real gateway: a required field left out, or an integer that is
// not one or does not fit its Java type, is INVALID_PARAMETER with the field named, never an internal error.
const TOPIC = 'HeaderCheckTopic';
let gw: GatewayProcess;
let probe: RemotingProbe;

before(async () => {
  gw = await startGateway();
  probe = await RemotingProbe.connect(gw.address);
  const created = await probe.invoke(17, { topic: TOPIC, readQueueNums: '4', writeQueueNums: '4', perm: '6' });
  assert.equal(created.code, ResponseCode.SUCCESS, created.remark);
});

after(async () => {
  probe.close();
  await gw.stop();
  gw.cleanup();
});

/** A header with every declared field set to a value of its type, under the wire names the code uses. */
function fullHeader(decl: AnyHeaderDeclaration, code: number): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, f] of Object.entries(decl.fields)) {
    fields[name] = f.type === 'string' ? (name === decl.topic ? TOPIC : 'HeaderCheck') : f.type === 'bool' ? 'false' : '0';
  }
  const shortNamed = code === 310 || code === 325;
  if (!shortNamed || !decl.shortNames) return fields;
  const short: Record<string, string> = {};
  for (const [s, long] of Object.entries(decl.shortNames)) if (fields[long] !== undefined) short[s] = fields[long];
  return short;
}

const wireName = (decl: AnyHeaderDeclaration, code: number, name: string): string =>
  (code === 310 || code === 325) && decl.shortNames ? Object.entries(decl.shortNames).find(([, long]) => long === name)![0] : name;

async function assertRefused(code: number, header: Record<string, string>, field: string, what: string): Promise<void> {
  const answer = await probe.invoke(code, header, Buffer.from('body'));
  assert.equal(answer.code, ResponseCode.INVALID_PARAMETER, `${requestCodeName(code)} (${code}) with ${what}: ${answer.code} ${answer.remark ?? ''}`);
  assert.match(answer.remark ?? '', new RegExp(field), `${requestCodeName(code)} names the field ${field}`);
}

test('every declared required field left out is INVALID_PARAMETER naming it, on every code', async () => {
  let checked = 0;
  for (const [code, decl] of REQUEST_HEADERS) {
    for (const [name, f] of Object.entries(decl.fields)) {
      if (!f.required) continue;
      const header = fullHeader(decl, code);
      delete header[wireName(decl, code, name)];
      await assertRefused(code, header, name, `no ${name}`);
      checked++;
    }
  }
  assert.ok(checked >= 60, `checked ${checked} required fields`);
});

test('every declared integer field that is not an integer, or out of its Java range, is INVALID_PARAMETER on every code', async () => {
  let checked = 0;
  for (const [code, decl] of REQUEST_HEADERS) {
    for (const [name, f] of Object.entries(decl.fields)) {
      if (f.type === 'string' || f.type === 'bool') continue;
      const wire = wireName(decl, code, name);
      await assertRefused(code, { ...fullHeader(decl, code), [wire]: '12abc' }, name, `${name}=12abc`);
      const beyond = f.type === 'int' ? String(BigInt(f.max!) + 1n) : '1'.repeat(25);
      if (f.type !== 'clampedLong' && f.type !== 'long') await assertRefused(code, { ...fullHeader(decl, code), [wire]: beyond }, name, `${name}=${beyond}`);
      checked++;
    }
  }
  assert.ok(checked >= 40, `checked ${checked} integer fields`);
});

test('the gateway kept serving: a well-formed request on the same connection still succeeds', async () => {
  const answer = await probe.invoke(30, { topic: TOPIC, queueId: '0' });
  assert.equal(answer.code, ResponseCode.SUCCESS);
});
