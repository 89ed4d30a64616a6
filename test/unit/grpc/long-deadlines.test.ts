import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import { allowLongDeadlines } from '../../../src/grpc/long-deadlines.js';

// A call whose grpc-timeout is decades away (the 5.x Java client's telemetry stream) must be served, not failed at
// once as grpc-js does on its own; a short one must still end the call. Sent over bare HTTP/2, as the header is.
const echo: ServiceDefinition = {
  Echo: {
    path: '/rop.test.Echo/Echo', requestStream: false, responseStream: false, originalName: 'Echo',
    requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b,
  },
};

function call(port: number, timeout: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const req = session.request({ ':method': 'POST', ':path': '/rop.test.Echo/Echo', 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': timeout });
    let status = '';
    req.on('response', (headers) => { status = String(headers['grpc-status'] ?? status); });
    req.on('trailers', (trailers) => { status = String(trailers['grpc-status'] ?? status); });
    req.on('data', () => undefined);
    req.on('end', () => {
      session.close();
      resolve(status);
    });
    req.on('error', reject);
    req.end(Buffer.from([0, 0, 0, 0, 0]));
  });
}

test('a deadline past what a timer holds is served; a short one still ends the call', async () => {
  assert.equal(allowLongDeadlines(), true, 'this grpc-js has the method the gateway patches');
  const server = new Server();
  server.addService(echo, {
    Echo: (c: { request: Buffer }, done: (err: null, r: Buffer) => void) => {
      setTimeout(() => done(null, c.request), 200);
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  try {
    assert.equal(await call(port, '99999999H'), '0', 'eleven thousand years: OK');
    assert.equal(await call(port, '525600H'), '0', 'sixty years (the Java client): OK');
    assert.equal(await call(port, '50m'), '4', 'fifty milliseconds against a 200 ms handler: DEADLINE_EXCEEDED');
  } finally {
    server.forceShutdown();
  }
});
