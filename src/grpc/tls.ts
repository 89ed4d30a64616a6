import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

/** The gRPC endpoint's certificate chain and private key, PEM. */
export interface GrpcTls {
  cert: Buffer;
  key: Buffer;
}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read the gRPC TLS ${what} ${file}: ${(err as Error).message}`);
  }
}

/**
 * Reads the two PEM files and checks that they make a TLS context (parseable, and the key belongs to the
 * certificate), so that a wrong file is reported at start and not at the first client's handshake.
 */
export function readGrpcTls(certFile: string, keyFile: string): GrpcTls {
  const tls = { cert: read(certFile, 'certificate'), key: read(keyFile, 'key') };
  try {
    createSecureContext(tls);
  } catch (err) {
    throw new Error(`the gRPC TLS certificate ${certFile} and key ${keyFile} are not a usable PEM pair: ${(err as Error).message}`);
  }
  return tls;
}
