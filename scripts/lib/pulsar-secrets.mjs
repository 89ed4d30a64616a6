// The secrets of the secured Pulsar standalone (`node scripts/pulsar.mjs start --secure`): a self-signed CA and a
// broker certificate for 127.0.0.1/localhost made by openssl, an HS256 secret key, and a token for the superuser
// role "admin" signed with it. Made once per home folder and kept, so tests and restarts see the same ones.
import { spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SUPERUSER = 'admin';

/** Paths of the secrets in `dir`. */
export const secretPaths = (dir) => ({
  dir,
  caCert: join(dir, 'ca.crt'),
  caKey: join(dir, 'ca.key'),
  brokerCert: join(dir, 'broker.crt'),
  brokerKey: join(dir, 'broker.key'),
  secretKey: join(dir, 'secret.key'),
  adminToken: join(dir, 'admin.token'),
});

function openssl(args, cwd) {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${(r.stderr || r.error?.message || '').trim()}`);
}

/** A JWT signed with HS256, as Pulsar's AuthenticationProviderToken accepts with `tokenSecretKey`. */
export function signToken(secretKey, claims) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${createHmac('sha256', secretKey).update(unsigned).digest('base64url')}`;
}

export function ensureSecrets(dir) {
  const p = secretPaths(dir);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(p.caCert)) {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p.caKey, '-out', p.caCert, '-days', '3650', '-subj', '/CN=rop test CA']);
    const ext = join(dir, 'broker.ext');
    writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
    const csr = join(dir, 'broker.csr');
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p.brokerKey, '-out', csr, '-subj', '/CN=localhost']);
    openssl(['x509', '-req', '-in', csr, '-CA', p.caCert, '-CAkey', p.caKey, '-CAcreateserial', '-out', p.brokerCert, '-days', '3650', '-extfile', ext]);
  }
  if (!existsSync(p.secretKey)) {
    const key = randomBytes(32);
    writeFileSync(p.secretKey, key);
    writeFileSync(p.adminToken, signToken(key, { sub: SUPERUSER }));
  }
  return p;
}
