import { isIPv4, isIPv6 } from 'node:net';

/** An address as RocketMQ's message layout stores it: raw IP bytes (4 or 16) and a port. */
export interface SocketAddressBytes {
  ip: Buffer;
  port: number;
}

/**
 * Parsed addresses: every message sent or pulled names its born and store host, and a gateway sees few distinct
 * ones. Bounded, since born hosts come from clients.
 */
const parsed = new Map<string, SocketAddressBytes>();
const PARSED_MAX = 4096;

/**
 * Parses `host:port` / `[v6]:port`; IPv4-mapped IPv6 becomes IPv4. Unparseable input yields 0.0.0.0:0.
 * The result is shared between callers: read it, do not change it.
 */
export function parseSocketAddress(address: string): SocketAddressBytes {
  let known = parsed.get(address);
  if (!known) {
    if (parsed.size >= PARSED_MAX) parsed.clear();
    known = parseUncached(address);
    parsed.set(address, known);
  }
  return known;
}

function parseUncached(address: string): SocketAddressBytes {
  let host = address;
  let port = 0;
  const m = /^\[(.*)\]:(\d+)$/.exec(address) ?? /^([^:]*):(\d+)$/.exec(address) ?? /^(.*):(\d+)$/.exec(address);
  if (m) {
    host = m[1]!;
    port = Number(m[2]);
  }
  if (host.startsWith('::ffff:') && isIPv4(host.slice(7))) host = host.slice(7);
  if (isIPv4(host)) return { ip: Buffer.from(host.split('.').map(Number)), port };
  if (isIPv6(host)) return { ip: ipv6Bytes(host), port };
  return { ip: Buffer.alloc(4), port };
}

function ipv6Bytes(host: string): Buffer {
  const [head, tail] = host.split('::') as [string, string | undefined];
  const parse = (s: string | undefined): number[] => (s ? s.split(':').filter(Boolean).map((x) => parseInt(x, 16)) : []);
  const h = parse(head);
  const t = parse(tail);
  const groups = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  groups.slice(0, 8).forEach((g, i) => out.writeUInt16BE(g & 0xffff, i * 2));
  return out;
}

export function formatSocketAddress(ip: Buffer, port: number): string {
  if (ip.length === 4) return `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}:${port}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(ip.readUInt16BE(i).toString(16));
  return `[${groups.join(':')}]:${port}`;
}
