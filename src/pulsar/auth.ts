import { readFileSync } from 'node:fs';
import { PulsarAccessError } from './errors.js';

/** Pulsar's name of token authentication, in CommandConnect and AuthData (AuthenticationProviderToken). */
export const TOKEN_AUTH_METHOD = 'token';

/** How this client proves who it is to Pulsar, on the binary protocol and on admin REST. */
export interface PulsarAuthentication {
  readonly methodName: string;
  /** The credentials to present now; asked again for every connect and every auth challenge. */
  authData(): Buffer;
  /** Headers that carry the same credentials on an admin REST call. */
  httpHeaders(): Record<string, string>;
}

/** Where a token comes from: given as is, or a file read again each time it is needed, so a rotated token is used. */
export type TokenSource = { token: string } | { file: string };

/** Reads the token now; an unreadable or empty file is a PulsarAccessError that names the file. */
export function readToken(source: TokenSource): string {
  if ('token' in source) return source.token.trim();
  let text: string;
  try {
    text = readFileSync(source.file, 'utf8');
  } catch (err) {
    throw new PulsarAccessError(`cannot read the Pulsar token file ${source.file}: ${(err as Error).message}`);
  }
  const token = text.trim();
  if (!token) throw new PulsarAccessError(`the Pulsar token file ${source.file} is empty`);
  return token;
}

export function tokenAuthentication(source: TokenSource): PulsarAuthentication {
  return {
    methodName: TOKEN_AUTH_METHOD,
    authData: () => Buffer.from(readToken(source), 'utf8'),
    httpHeaders: () => ({ authorization: `Bearer ${readToken(source)}` }),
  };
}
