import { readFileSync } from 'node:fs';
import { createSecureContext, type ConnectionOptions, type SecureContextOptions } from 'node:tls';

/**
 * Apache RocketMQ's tls.server.mode: `disabled` serves plaintext only, `permissive` serves TLS and plaintext on one
 * port, `enforcing` serves TLS only.
 */
export const REMOTING_TLS_MODES = ['disabled', 'permissive', 'enforcing'] as const;
export type RemotingTlsMode = (typeof REMOTING_TLS_MODES)[number];

/** Apache RocketMQ's tls.server.need.client.auth: whether a client must show a certificate the CA signed. */
export const CLIENT_AUTH_MODES = ['none', 'optional', 'require'] as const;
export type ClientAuth = (typeof CLIENT_AUTH_MODES)[number];

/** TLS on the remoting listeners, when the mode is not `disabled`. */
export interface RemotingTls {
  mode: Exclude<RemotingTlsMode, 'disabled'>;
  /** PEM certificate chain and private key the listeners show */
  cert: Buffer;
  key: Buffer;
  clientAuth: ClientAuth;
  /** PEM certificates client certificates are verified against (when clientAuth is not `none`) */
  clientCa?: Buffer;
}

/** The flags as given, before any file is read. */
export interface RemotingTlsFlags {
  mode: RemotingTlsMode;
  certFile?: string;
  keyFile?: string;
  clientAuth: ClientAuth;
  clientCaFile?: string;
}

/** A remoting TLS setting that cannot be used; the message is one line naming the flags involved. */
export class RemotingTlsError extends Error {
  override readonly name = 'RemotingTlsError';
}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new RemotingTlsError(`cannot read the remoting TLS ${what} ${file}: ${(err as Error).message}`);
  }
}

function checkFlagsAgree(flags: RemotingTlsFlags): void {
  const given = [
    ['--remoting-tls-cert', flags.certFile],
    ['--remoting-tls-key', flags.keyFile],
    ['--remoting-tls-client-ca', flags.clientCaFile],
    ['--remoting-tls-client-auth', flags.clientAuth === 'none' ? undefined : flags.clientAuth],
  ].filter(([, v]) => v !== undefined).map(([name]) => name);
  if (flags.mode === 'disabled') {
    if (given.length > 0) throw new RemotingTlsError(`${given.join(', ')} given but --remoting-tls-mode is disabled: set it to permissive or enforcing, or leave the TLS options out`);
    return;
  }
  if (flags.certFile === undefined || flags.keyFile === undefined) {
    throw new RemotingTlsError(`--remoting-tls-mode ${flags.mode} needs --remoting-tls-cert and --remoting-tls-key (PEM files)${given.length ? `; only ${given.join(', ')} given` : ''}`);
  }
  if (flags.clientAuth === 'none' && flags.clientCaFile !== undefined) {
    throw new RemotingTlsError('--remoting-tls-client-ca is given but --remoting-tls-client-auth is none: set it to optional or require, or leave the CA out');
  }
  if (flags.clientAuth !== 'none' && flags.clientCaFile === undefined) {
    throw new RemotingTlsError(`--remoting-tls-client-auth ${flags.clientAuth} needs --remoting-tls-client-ca, the PEM certificates client certificates are verified against`);
  }
}

/**
 * Checks the flags together and reads their files, and checks that they make a TLS context (parseable, the key
 * belongs to the certificate), so that a wrong setting is reported at start and not at the first client's
 * handshake. `undefined` means plaintext only.
 */
export function readRemotingTls(flags: RemotingTlsFlags): RemotingTls | undefined {
  checkFlagsAgree(flags);
  if (flags.mode === 'disabled') return undefined;
  const certFile = flags.certFile!;
  const keyFile = flags.keyFile!;
  const tls: RemotingTls = { mode: flags.mode, cert: read(certFile, 'certificate'), key: read(keyFile, 'key'), clientAuth: flags.clientAuth };
  try {
    createSecureContext({ cert: tls.cert, key: tls.key });
  } catch (err) {
    throw new RemotingTlsError(`the remoting TLS certificate ${certFile} and key ${keyFile} are not a usable PEM pair: ${(err as Error).message}`);
  }
  if (flags.clientCaFile !== undefined) {
    tls.clientCa = read(flags.clientCaFile, 'client CA');
    // createSecureContext takes a file without any certificate in it silently; a CA that trusts nothing is a mistake.
    if (!tls.clientCa.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) {
      throw new RemotingTlsError(`the remoting TLS client CA ${flags.clientCaFile} holds no PEM certificate`);
    }
    try {
      createSecureContext({ ca: tls.clientCa });
    } catch (err) {
      throw new RemotingTlsError(`the remoting TLS client CA ${flags.clientCaFile} is not usable PEM: ${(err as Error).message}`);
    }
  }
  return tls;
}

/** What a listener's TLS server is built from. */
export function serverOptions(tls: RemotingTls): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.clientCa ? { ca: tls.clientCa } : {}),
    requestCert: tls.clientAuth !== 'none',
    // The acceptor refuses untrusted client certificates itself, after the handshake, so that it can say why.
    rejectUnauthorized: false,
  };
}

/**
 * How this gateway connects to another one (a forwarded request) when the listeners speak TLS only. Like Apache
 * RocketMQ's broker as a client with tls.client.authServer=false (its default), the peer's certificate is not
 * verified: the link is encrypted, and the gateways of one cluster are found through the cluster's own tables.
 * The gateway's own certificate goes along as its client certificate, for peers that require one.
 */
export function clientOptions(tls: RemotingTls): ConnectionOptions {
  return { cert: tls.cert, key: tls.key, rejectUnauthorized: false };
}
