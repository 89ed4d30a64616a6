import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PEM certificate and its key, as files and as bytes. */
export interface PemPair {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
}

/**
 * Certificates made with openssl in a fresh temp directory: a self-signed server certificate for 127.0.0.1, a CA,
 * a client certificate the CA signed, and a self-signed client certificate the CA knows nothing of.
 */
export interface TestCertificates {
  dir: string;
  server: PemPair;
  ca: PemPair;
  trustedClient: PemPair;
  strangerClient: PemPair;
  remove(): void;
}

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl ${args[0]} failed: ${r.error?.message ?? r.stderr}`);
}

function pair(dir: string, name: string): PemPair {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}-key.pem`);
  return { certFile, keyFile, get cert() { return readFileSync(certFile); }, get key() { return readFileSync(keyFile); } };
}

function selfSigned(dir: string, name: string, subject: string, extra: string[] = []): PemPair {
  const p = pair(dir, name);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-days', '1', '-keyout', p.keyFile, '-out', p.certFile, ...extra]);
  return p;
}

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'rop-remoting-tls-'));
  const server = selfSigned(dir, 'server', '/CN=127.0.0.1');
  const ca = selfSigned(dir, 'ca', '/CN=rop test CA', ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const trustedClient = pair(dir, 'client');
  const csr = join(dir, 'client.csr');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=rop test client', '-keyout', trustedClient.keyFile, '-out', csr]);
  const ext = join(dir, 'client.ext');
  writeFileSync(ext, 'extendedKeyUsage=clientAuth\n');
  openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', trustedClient.certFile]);
  const strangerClient = selfSigned(dir, 'stranger', '/CN=rop stranger client');
  return { dir, server, ca, trustedClient, strangerClient, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
