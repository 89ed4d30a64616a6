import { isIP } from 'node:net';
import { generate } from 'selfsigned';
import type { GrpcTls } from './tls.js';

const VALID_DAYS = 365;

/**
 * A certificate for the gRPC port made at start when TLS is on and none was given, as Apache's proxy makes one
 * (its tls.test.mode.enable default): RocketMQ 5 clients do not verify the proxy's certificate, so TLS clients
 * connect with no setup; it names `hosts` for clients that would check the name.
 */
export async function selfSignedGrpcTls(hosts: readonly string[]): Promise<GrpcTls> {
  const names = [...new Set(['localhost', '127.0.0.1', ...hosts])];
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: 'rop gateway (self-signed)' }], {
    keyType: 'ec',
    curve: 'P-256',
    notBeforeDate: new Date(now - 3600_000),
    notAfterDate: new Date(now + VALID_DAYS * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: names.map((n) => (isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })) },
    ],
  });
  return { cert: Buffer.from(pems.cert), key: Buffer.from(pems.private) };
}
