import { isIP } from 'node:net';

/** Raised for a white address pattern Apache's RemoteAddressStrategyFactory would not take either. */
export class AddressPatternError extends Error {
  override readonly name = 'AddressPatternError';
}

/** Whether a client's host (an IP address, no port) is white-listed. */
export type AddressMatcher = (host: string) => boolean;

const NONE: AddressMatcher = () => false;
const ALL: AddressMatcher = () => true;
const EVERY = new Set(['*', '*.*.*.*', '*:*:*:*:*:*:*:*']);

/** An IPv4-mapped IPv6 address (::ffff:1.2.3.4, as Node reports IPv4 peers of a dual-stack socket) as plain IPv4. */
export function clientHost(address: string): string {
  const host = /^\[?(.*?)\]?$/.exec(address)![1]!;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return mapped ? mapped[1]! : host;
}

/** An IPv6 address written out in full (eight groups of four upper-case hex digits), as Apache compares them. */
function expandIPv6(address: string): string {
  const [head, tail] = address.toUpperCase().split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const middle = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((g) => g.padStart(4, '0')).join(':');
}

const canonical = (address: string): string => (isIP(address) === 6 ? expandIPv6(address) : address);

function exact(address: string, pattern: string): string {
  if (isIP(address) === 0) throw new AddressPatternError(`${JSON.stringify(pattern)} is not an IP address or pattern`);
  return canonical(address);
}

/** 1-5 or * at one place of the address, with the places before it fixed: Apache's RangeRemoteAddressStrategy. */
function range(pattern: string): AddressMatcher {
  const v6 = pattern.includes(':');
  const parts = pattern.split(v6 ? ':' : '.');
  const max = v6 ? 0xffff : 255;
  const parse = (n: string): number => (v6 ? /^[0-9a-f]{1,4}$/i.test(n) : /^\d{1,3}$/.test(n)) ? parseInt(n, v6 ? 16 : 10) : NaN;
  const at = parts.findIndex((p, i) => i > 0 && (p === '*' || p.includes('-')));
  const bad = () => new AddressPatternError(`${JSON.stringify(pattern)} is not a valid address range (e.g. 192.168.1.1-5 or 192.168.*)`);
  if (at < 0 || parts.slice(at + 1).some((p) => p !== '*' && p !== '')) throw bad();
  const head = parts.slice(0, at).map(parse);
  if (head.some((n) => !(n >= 0 && n <= max))) throw bad();
  const [lo, hi] = parts[at] === '*' ? [0, max] : parts[at]!.split('-').map(parse) as [number, number];
  if (!(lo >= 0 && hi <= max && lo <= hi) || (!v6 && parts.length > 4)) throw bad();
  return (host) => {
    const family = isIP(host);
    if (family !== (v6 ? 6 : 4)) return false;
    const groups = (v6 ? expandIPv6(host).split(':') : host.split('.')).map((g) => parseInt(g, v6 ? 16 : 10));
    if (head.some((n, i) => groups[i] !== n)) return false;
    return groups[at]! >= lo && groups[at]! <= hi;
  };
}

/**
 * A white address pattern of plain_acl.yml as Apache reads it: blank (none), `*` (all), `192.168.0.{1,2}` or
 * `10.0.0.1,10.0.0.2` (a list), `192.168.1.1-5` or `192.168.*` (a range), or one address.
 */
export function addressMatcher(pattern: string | undefined): AddressMatcher {
  const p = (pattern ?? '').trim();
  if (p === '') return NONE;
  if (EVERY.has(p)) return ALL;
  let listed: string[] | undefined;
  if (p.endsWith('}')) {
    const open = p.lastIndexOf('{');
    const sep = p.includes(':') ? ':' : '.';
    if (open < 1 || p[open - 1] !== sep) throw new AddressPatternError(`${JSON.stringify(p)} is not a valid address list (e.g. 192.168.0.{1,2})`);
    listed = p.slice(open + 1, -1).split(',').map((last) => p.slice(0, open) + last.trim());
  } else if (p.includes(',')) {
    listed = p.split(',').map((a) => a.trim());
  }
  if (listed) {
    const set = new Set(listed.map((a) => exact(a, p)));
    return (host) => set.has(canonical(host));
  }
  if (p.includes('*') || p.includes('-')) return range(p);
  const one = exact(p, p);
  return (host) => canonical(host) === one;
}
