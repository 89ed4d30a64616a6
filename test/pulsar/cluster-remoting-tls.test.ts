import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from '../support/cluster.js';
import { makeTestCertificates } from '../support/tls-certificates.js';
import { connectRemoting } from '../../src/remoting/remoting-client.js';
import { createRequest, type RemotingCommand } from '../../src/remoting/remoting-command.js';

const UPDATE_AND_CREATE_TOPIC = 17;
const GET_MAX_OFFSET = 30;
const SEND_MESSAGE = 10;

/** One request over a TLS connection of its own (the self-signed certificate trusted as any). */
async function askOverTls(address: string, code: number, fields: Record<string, string>, body?: Buffer): Promise<RemotingCommand> {
  const conn = await connectRemoting(address, 1 << 20, 5000, { rejectUnauthorized: false });
  try {
    return await conn.invoke(createRequest(code, fields, body), 10_000);
  } finally {
    conn.destroy();
  }
}

// A request reaching a gateway that does not own the slot it is for is passed on to the owner; with listeners that
// take TLS only, that hop speaks TLS as well.
test('enforcing cluster: a request for a slot another gateway owns is forwarded to it over TLS', { timeout: 120_000 }, async (t) => {
  const certs = makeTestCertificates();
  const cluster = await TestCluster.start(2, 2, ['--remoting-tls-mode', 'enforcing', '--remoting-tls-cert', certs.server.certFile, '--remoting-tls-key', certs.server.keyFile]);
  t.after(async () => {
    await cluster.stop();
    certs.remove();
  });
  const owner0 = (await cluster.views())[0]![0]!.gateway;
  const owner = cluster.gateways.find((gw) => gw.address === owner0)!;
  const other = cluster.gateways.find((gw) => gw.address !== owner0)!;
  assert.ok(owner && other, `slot 0 is owned by one of the two gateways (${owner0})`);

  const topic = `TlsForwarded${Date.now()}`;
  const created = await askOverTls(owner.address, UPDATE_AND_CREATE_TOPIC, { topic, readQueueNums: '1', writeQueueNums: '1', perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false' });
  assert.equal(created.code, 0, created.remark);
  const fields = { producerGroup: 'TlsForwardedPG', topic, defaultTopic: 'TBW102', defaultTopicQueueNums: '1', queueId: '0', sysFlag: '0', bornTimestamp: String(Date.now()), flag: '0', properties: '', reconsumeTimes: '0', unitMode: 'false', batch: 'false' };

  // The other gateway's first listener is slot 0's there too, which it does not serve: a send to it goes to the owner.
  const sent = await askOverTls(other.address, SEND_MESSAGE, fields, Buffer.from('over tls'));
  assert.equal(sent.code, 0, `stored through the owner: ${sent.remark ?? ''}`);
  const max = await askOverTls(owner.address, GET_MAX_OFFSET, { topic, queueId: '0' });
  assert.equal(max.extFields?.offset, '1', 'the owner has the message');
  for (const gw of cluster.gateways) {
    assert.equal(gw.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('closing connection')).length, 0, 'no connection refused: the hop spoke TLS');
  }
});
