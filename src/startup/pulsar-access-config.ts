import { readFileSync } from 'node:fs';
import { ConfigError } from '../config-layers.js';
import { readToken, type TokenSource } from '../pulsar/auth.js';
import type { PulsarTlsOptions } from '../pulsar/tls.js';
import { PulsarAccessError } from '../pulsar/errors.js';

/** The CA file is read now, so a missing or non-PEM one stops the start with one line. */
export function pulsarTlsConfig(caFile: string | undefined, verifyHostname: boolean): PulsarTlsOptions {
  if (caFile === undefined) return { verifyHostname };
  let ca: Buffer;
  try {
    ca = readFileSync(caFile);
  } catch (err) {
    throw new ConfigError(`--pulsar-tls-ca: cannot read ${caFile}: ${(err as Error).message}`);
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`--pulsar-tls-ca: ${caFile} holds no PEM certificate`);
  return { ca, verifyHostname };
}

/** One token source or none; a token file is read once now to check it, and again at every use. */
export function pulsarTokenConfig(token: string | undefined, file: string | undefined): TokenSource | undefined {
  if (token !== undefined && file !== undefined) throw new ConfigError('--pulsar-auth-token and --pulsar-auth-token-file exclude each other: give the token or the file that holds it');
  const source: TokenSource | undefined = token !== undefined ? { token } : file !== undefined ? { file } : undefined;
  if (source === undefined) return undefined;
  try {
    if (!readToken(source)) throw new ConfigError('--pulsar-auth-token is empty');
  } catch (err) {
    throw err instanceof PulsarAccessError ? new ConfigError(err.message) : err;
  }
  return source;
}
