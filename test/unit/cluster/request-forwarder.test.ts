import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RemotingServer } from '../../../src/remoting/remoting-server.js';
import { connectRemoting } from '../../../src/remoting/remoting-client.js';
import { createRequest, createResponse, type RemotingCommand } from '../../../src/remoting/remoting-command.js';
import { RequestForwarder, forwardedVia } from '../../../src/cluster/request-forwarder.js';
import { silent } from '../../support/embedded-broker.js';
import { clientOptions, readRemotingTls } from '../../../src/remoting/tls-settings.js';
import { makeTestCertificates } from '../../support/tls-certificates.js';

const ECHO = 900;
const ONEWAY = 2;

/** A request passed on to the owner comes back to the client under its own opaque, with the owner's answer. */
test('a forwarded request is answered by the owner under the client\'s opaque, and passed on once only', async () => {
  const seen: RemotingCommand[] = [];
  const owner = new RemotingServer(silent, 1 << 20);
  owner.register(ECHO, (req) => {
    seen.push(req);
    return createResponse(req, 0, `owner saw ${req.extFields?.n}`);
  });
  const ownerPort = await owner.listen('127.0.0.1', 0);
  const forwarder = new RequestForwarder('127.0.0.1:1', 1 << 20);
  const stale = new RemotingServer(silent, 1 << 20);
  stale.register(ECHO, (req) => (forwardedVia(req).length > 0 ? createResponse(req, 14, 'not passed on twice') : forwarder.forward(req, `127.0.0.1:${ownerPort}`)));
  const stalePort = await stale.listen('127.0.0.1', 0);
  const client = await connectRemoting(`127.0.0.1:${stalePort}`);
  try {
    const answers = await Promise.all([1, 2, 3].map((n) => client.invoke(createRequest(ECHO, { n: String(n) }), 5000)));
    assert.deepEqual(answers.map((a) => a.remark), ['owner saw 1', 'owner saw 2', 'owner saw 3']);
    assert.ok(seen.every((r) => forwardedVia(r).length === 1), 'the owner can tell a passed-on request');

    const oneway = createRequest(ECHO, { n: '4' });
    oneway.flag |= ONEWAY;
    client.send(oneway);
    for (let i = 0; i < 50 && seen.length < 4; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(seen.length, 4, 'a oneway request reaches the owner too');

    const twice = await client.invoke(createRequest(ECHO, { n: '5', ropForwardedBy: 'x' }), 5000);
    assert.equal(twice.code, 14);
    await assert.rejects(forwarder.forward(createRequest(ECHO), '127.0.0.1:1'), 'an owner that cannot be reached is an error for the caller to answer');
  } finally {
    client.destroy();
    forwarder.close();
    await Promise.all([stale.close(100), owner.close(100)]);
  }
});

test('to gateways whose listeners speak TLS only, requests are forwarded over TLS, with the gateway\'s certificate as its client certificate', async () => {
  const certs = makeTestCertificates();
  // The owner trusts the gateways' shared certificate as client certificates, and requires one.
  const tls = readRemotingTls({ mode: 'enforcing', certFile: certs.server.certFile, keyFile: certs.server.keyFile, clientAuth: 'require', clientCaFile: certs.server.certFile })!;
  const owner = new RemotingServer(silent, 1 << 20, {}, { tls });
  owner.register(ECHO, (req) => createResponse(req, 0, `owner saw ${req.extFields?.n} over ${(req.extFields?.via ?? '')}`));
  const ownerAddress = `127.0.0.1:${await owner.listen('127.0.0.1', 0)}`;
  const overTls = new RequestForwarder('127.0.0.1:1', 1 << 20, clientOptions(tls));
  const plaintext = new RequestForwarder('127.0.0.1:2', 1 << 20);
  try {
    const answer = await overTls.forward(createRequest(ECHO, { n: '1', via: 'tls' }), ownerAddress);
    assert.equal(answer?.remark, 'owner saw 1 over tls');
    await assert.rejects(plaintext.forward(createRequest(ECHO, { n: '2' }), ownerAddress), 'a plaintext forwarder is refused by an enforcing owner');
    const anonymous = new RequestForwarder('127.0.0.1:3', 1 << 20, { rejectUnauthorized: false });
    await assert.rejects(anonymous.forward(createRequest(ECHO, { n: '3' }), ownerAddress), 'without the certificate the owner requires, no answer');
    anonymous.close();
  } finally {
    overTls.close();
    plaintext.close();
    await owner.close(100);
    certs.remove();
  }
});
