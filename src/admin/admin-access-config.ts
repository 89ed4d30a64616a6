import { readFileSync } from 'node:fs';
import { ConfigError } from '../config-layers.js';
import type { AdminAccess } from './admin-access.js';

/** The admin server's access settings as given at start; `allowedHosts` unset means the defaults of `resolveAdminAccess`. */
export interface AdminAuthSettings {
  adminToken?: string;
  readToken?: string;
  metricsAuth: boolean;
  /** serve the admin server without a token on a non-loopback address, knowingly */
  insecure: boolean;
  allowedHosts?: string[];
}

/** The options as the command line, ROP_* variables and the config file give them. */
export interface AdminAuthOptions {
  adminToken?: string;
  adminTokenFile?: string;
  adminReadToken?: string;
  adminReadTokenFile?: string;
  metricsAuth?: boolean;
  adminInsecure?: boolean;
  adminAllowedHosts?: string[];
}

const MIN_TOKEN_LENGTH = 16;
/** What fits in `Authorization: Bearer <token>` unquoted: printable ASCII, no spaces. */
const TOKEN = /^[\x21-\x7e]+$/;
const LOOPBACK = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);
/** a name, an IPv4 address or a bracketed IPv6 address, with an optional port */
const HOST_ENTRY = /^(\[[0-9a-f:.]+\]|[a-z0-9]([-a-z0-9.]*[a-z0-9])?)(:\d{1,5})?$/;

export const isLoopback = (host: string): boolean => LOOPBACK.has(host.toLowerCase());

/** `--admin-allowed-hosts a,b:8080,[::1]`, or `*` for any Host; names in lower case. */
export function parseAllowedHosts(value: string): string[] {
  const entries = value.split(',').map((e) => e.trim().toLowerCase()).filter((e) => e !== '');
  if (entries.length === 0) throw new Error('expected a comma-separated list of host names (with an optional :port), or *');
  const bad = entries.find((e) => e !== '*' && !HOST_ENTRY.test(e));
  if (bad !== undefined) throw new Error(`expected host names or addresses with an optional :port (IPv6 in brackets), or *; got ${JSON.stringify(bad)}`);
  return entries;
}

/** A token from its flag or its file (one or the other); the token itself never appears in a message. */
function tokenFrom(flag: string, value: string | undefined, file: string | undefined): string | undefined {
  if (value !== undefined && file !== undefined) throw new ConfigError(`give ${flag} or ${flag}-file, not both`);
  let token = value;
  if (file !== undefined) {
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(`cannot read ${flag}-file ${file}: ${(err as Error).message}`);
    }
  }
  if (token === undefined) return undefined;
  const where = file === undefined ? flag : `the token in ${file}`;
  if (!TOKEN.test(token)) throw new ConfigError(`${where} must be printable ASCII without spaces, as it travels in "Authorization: Bearer <token>"`);
  if (token.length < MIN_TOKEN_LENGTH) throw new ConfigError(`${where} is too short to resist guessing: use at least ${MIN_TOKEN_LENGTH} characters, e.g. from "openssl rand -hex 32"`);
  return token;
}

/** Checks the access options together: tokens read from their files, roles told apart, flags that need a token. */
export function adminAuthSettings(o: AdminAuthOptions): AdminAuthSettings {
  const adminToken = tokenFrom('--admin-token', o.adminToken, o.adminTokenFile);
  const readToken = tokenFrom('--admin-read-token', o.adminReadToken, o.adminReadTokenFile);
  if (adminToken !== undefined && adminToken === readToken) throw new ConfigError('--admin-token and --admin-read-token must differ: a request\'s token is what tells its role');
  const metricsAuth = o.metricsAuth === true;
  if (metricsAuth && adminToken === undefined && readToken === undefined) throw new ConfigError('--metrics-auth needs a token to ask for: give --admin-token or --admin-read-token too');
  return { adminToken, readToken, metricsAuth, insecure: o.adminInsecure === true, allowedHosts: o.adminAllowedHosts };
}

export const hasToken = (s: AdminAuthSettings): boolean => s.adminToken !== undefined || s.readToken !== undefined;

/**
 * Why the admin server may not start as configured: on an address others can reach, without a token, unless
 * --admin-insecure says that is meant. Undefined when it may.
 */
export function exposureProblem(host: string, httpPort: number, s: AdminAuthSettings): string | undefined {
  if (httpPort === 0 || isLoopback(host) || hasToken(s) || s.insecure) return undefined;
  return `the admin HTTP server would listen on ${host} with no token: give --admin-token (or --admin-token-file), keep --host on 127.0.0.1, turn it off with --http-port 0, or pass --admin-insecure to serve it open`;
}

const withPort = (host: string, port: number): string => `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`.toLowerCase();

/** The access the server enforces; without --admin-allowed-hosts, the loopback names, the advertised host and the bind host on its port. */
export function resolveAdminAccess(s: AdminAuthSettings, bindHost: string, advertisedAddress: string | undefined, port: number): AdminAccess {
  const advertisedHost = advertisedAddress?.slice(0, advertisedAddress.lastIndexOf(':'));
  const defaults = ['localhost', '127.0.0.1', '[::1]', bindHost, ...(advertisedHost === undefined ? [] : [advertisedHost])];
  return {
    adminToken: s.adminToken,
    readToken: s.readToken,
    metricsAuth: s.metricsAuth,
    allowedHosts: s.allowedHosts ?? [...new Set(defaults.map((h) => withPort(h, port)))],
  };
}
