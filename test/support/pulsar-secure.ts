import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './gateway.js';

// Where the secured standalone of `node scripts/pulsar.mjs start --secure` listens, and its secrets.
export const secureServiceUrl = `pulsar+ssl://127.0.0.1:${process.env.PULSAR_SECURE_BROKER_TLS_PORT ?? 6651}`;
export const secureAdminUrl = `https://127.0.0.1:${process.env.PULSAR_SECURE_WEB_TLS_PORT ?? 8443}`;
const secrets = join(repoRoot, '.cache', 'pulsar-secure', 'secrets');
export const caFile = join(secrets, 'ca.crt');
export const adminTokenFile = join(secrets, 'admin.token');
/** The role the standalone makes superuser; a token for it may create tenants and namespaces. */
export const SUPERUSER = 'admin';

export const ca = (): Buffer => readFileSync(caFile);

/** An HS256 JWT signed with the standalone's secret key (or `key`, to make one it refuses). */
export function signToken(claims: { sub: string; exp?: number }, key: Buffer = readFileSync(join(secrets, 'secret.key'))): string {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
}

/** Seconds since the epoch, as JWT's exp counts. */
export const epochSeconds = (ms = Date.now()): number => Math.floor(ms / 1000);
