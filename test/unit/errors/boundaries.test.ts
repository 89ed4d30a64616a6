import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_KINDS, BrokerError, type ErrorKind } from '../../../src/errors/broker-error.js';
import { GRPC_STATUS_CODES, HTTP_STATUSES, REMOTING_RESPONSE_CODES, REMOTING_TERMS, grpcStatus, httpRefusal } from '../../../src/errors/boundaries.js';
import { ResponseCode } from '../../../src/protocol/request-code.js';
import { Code } from '../../../src/grpc/status-code.js';
import { RemotingServer } from '../../../src/remoting/remoting-server.js';
import { connectRemoting } from '../../../src/remoting/remoting-client.js';
import { nextOpaque, SerializeType } from '../../../src/remoting/remoting-command.js';
import { AdminHttpServer, type AdminServices } from '../../../src/admin/admin-http-server.js';
import { createLogger } from '../../../src/logger.js';

const log = createLogger('silent');
const tables = { REMOTING_RESPONSE_CODES, GRPC_STATUS_CODES, HTTP_STATUSES };
/** A request code no gateway serves; the test registers its own processor under it. */
const PROBE_CODE = 64_999;

test('each boundary table answers every error kind, and nothing else, with a code its protocol defines', () => {
  for (const [name, table] of Object.entries(tables)) {
    assert.deepEqual(Object.keys(table).sort(), [...ERROR_KINDS].sort(), `${name} keys`);
  }
  const remotingCodes = new Set<number>(Object.values(ResponseCode));
  const grpcCodes = new Set<string>(Object.values(Code));
  for (const kind of ERROR_KINDS) {
    assert.ok(remotingCodes.has(REMOTING_RESPONSE_CODES[kind]), `${kind}: remoting code ${REMOTING_RESPONSE_CODES[kind]}`);
    assert.ok(grpcCodes.has(GRPC_STATUS_CODES[kind]) && GRPC_STATUS_CODES[kind] !== Code.OK, `${kind}: gRPC code ${GRPC_STATUS_CODES[kind]}`);
    assert.ok(HTTP_STATUSES[kind] >= 400 && HTTP_STATUSES[kind] < 600, `${kind}: HTTP ${HTTP_STATUSES[kind]}`);
  }
  // Only a fault of the gateway is reported as one: a refusal must never read as a server error to a 5.x client.
  const internalGrpc = ERROR_KINDS.filter((k) => GRPC_STATUS_CODES[k] === Code.INTERNAL_SERVER_ERROR);
  assert.deepEqual(internalGrpc, ['internal']);
  assert.deepEqual(ERROR_KINDS.filter((k) => HTTP_STATUSES[k] === 500), ['internal']);
});

test('over a real remoting connection, each kind thrown by a processor is answered with its table code and its message', async () => {
  const server = new RemotingServer(log, 1 << 20, REMOTING_TERMS);
  let kind: ErrorKind | 'plain' = 'internal';
  server.register(PROBE_CODE, () => {
    if (kind === 'plain') throw new TypeError('a bug');
    throw new BrokerError(kind, `refused as ${kind}`);
  });
  const port = await server.listen('127.0.0.1', 0);
  const conn = await connectRemoting(`127.0.0.1:${port}`);
  try {
    const ask = () => conn.invoke({
      code: PROBE_CODE, language: 'JAVA', version: 401, opaque: nextOpaque(), flag: 0, extFields: {}, serializeType: SerializeType.JSON,
    }, 5000);
    for (const k of ERROR_KINDS) {
      kind = k;
      const response = await ask();
      assert.equal(response.code, REMOTING_RESPONSE_CODES[k], k);
      // A fault of the gateway names the request it failed; a refusal is the client's to read as it stands.
      assert.equal(response.remark, k === 'internal' ? `request code ${PROBE_CODE} failed: refused as ${k}` : `refused as ${k}`);
    }
    kind = 'plain';
    const response = await ask();
    assert.equal(response.code, ResponseCode.SYSTEM_ERROR, 'an error that is not a BrokerError is the gateway\'s fault');
    assert.equal(response.remark, `request code ${PROBE_CODE} failed: a bug`);
  } finally {
    conn.destroy();
    await server.close(100);
  }
});

test('each kind becomes its RocketMQ 5 status; anything else is INTERNAL_SERVER_ERROR', () => {
  for (const k of ERROR_KINDS) {
    assert.deepEqual(grpcStatus(new BrokerError(k, `why ${k}`)), { code: GRPC_STATUS_CODES[k], message: `why ${k}` });
  }
  assert.deepEqual(grpcStatus(new RangeError('a bug')), { code: Code.INTERNAL_SERVER_ERROR, message: 'a bug' });
});

test('over real HTTP, each kind thrown behind an admin endpoint is answered with its status and a JSON error', async () => {
  const server = new AdminHttpServer({ host: '127.0.0.1', port: 0, log, access: { metricsAuth: false, allowedHosts: ['127.0.0.1'] } });
  let kind: ErrorKind | 'plain' = 'internal';
  const services = {
    notReady: () => undefined,
    grpcClients: {
      clients: () => {
        if (kind === 'plain') throw new TypeError('a bug');
        throw new BrokerError(kind, `refused as ${kind}`);
      },
    },
  } as unknown as AdminServices;
  server.serve(services);
  const port = await server.listen();
  try {
    for (const k of ERROR_KINDS) {
      kind = k;
      const response = await fetch(`http://127.0.0.1:${port}/api/grpc-clients`);
      assert.equal(response.status, HTTP_STATUSES[k], k);
      assert.deepEqual(await response.json(), { error: `refused as ${k}` });
      assert.deepEqual(httpRefusal(new BrokerError(k, 'x')), { statusCode: HTTP_STATUSES[k], body: { error: 'x' } });
    }
    kind = 'plain';
    const response = await fetch(`http://127.0.0.1:${port}/api/grpc-clients`);
    assert.equal(response.status, 500);
    assert.deepEqual(await response.json(), { error: 'a bug' });
  } finally {
    await server.close();
  }
});
