import { checkServerIdentity, connect as tlsConnect, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';

/** How this client checks a Pulsar broker's or admin endpoint's certificate when its URL asks for TLS. */
export interface PulsarTlsOptions {
  /** PEM certificates to trust instead of Node's built-in CAs; undefined trusts the built-in ones. */
  ca?: Buffer;
  /** Whether the certificate must name the host connected to; the chain is verified either way. */
  verifyHostname: boolean;
}

/** Options for node:tls and node:https that apply `tls` to a connection to `host`. */
export function tlsConnectOptions(host: string, tls: PulsarTlsOptions) {
  return {
    ca: tls.ca,
    // SNI takes host names only; an IP address is matched against the certificate's IP SANs instead.
    servername: isIP(host) ? undefined : host,
    rejectUnauthorized: true,
    checkServerIdentity: tls.verifyHostname ? checkServerIdentity : () => undefined,
  };
}

export function openTlsSocket(host: string, port: number, tls: PulsarTlsOptions): TLSSocket {
  return tlsConnect({ host, port, ...tlsConnectOptions(host, tls) });
}

/** OpenSSL's and Node's codes for a certificate that failed verification: no retry fixes these. */
const CERTIFICATE_ERRORS = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export const isCertificateError = (err: unknown): boolean =>
  CERTIFICATE_ERRORS.has((err as { code?: unknown } | undefined)?.code as string);
