import { BrokerError } from '../errors/broker-error.js';

// The text form of java.util.Properties: Apache RocketMQ's broker reports its settings in it (GET_BROKER_CONFIG) and
// takes changes in it (UPDATE_BROKER_CONFIG), and mqadmin reads and writes it with Properties.load and a plain
// `key=value` join.

const ESCAPED: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };
const WHITESPACE = /[ \t\f]/;

/** Lines joined where one ends in an odd number of backslashes, as Properties.load reads them. */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let pending: string | undefined;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const line = pending === undefined ? raw : pending + raw.replace(/^[ \t\f]+/, '');
    const trailing = /\\*$/.exec(line)![0].length;
    if (trailing % 2 === 1) {
      pending = line.slice(0, -1);
      continue;
    }
    pending = undefined;
    lines.push(line);
  }
  if (pending !== undefined) lines.push(pending);
  return lines;
}

function unescape(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\' || i === text.length - 1) {
      out += c;
      continue;
    }
    const next = text[++i]!;
    if (next === 'u') {
      const hex = text.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new BrokerError('bad-request', `malformed \\uxxxx escape in ${JSON.stringify(text)}`);
      out += String.fromCharCode(parseInt(hex, 16));
      i += 4;
    } else {
      out += ESCAPED[next] ?? next;
    }
  }
  return out;
}

/** Reads `key=value` (or `key: value`, `key value`) lines; comments (#, !) and blank lines are skipped. */
export function parseJavaProperties(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const line of logicalLines(text)) {
    const start = line.search(/[^ \t\f]/);
    if (start < 0 || line[start] === '#' || line[start] === '!') continue;
    let end = start;
    while (end < line.length && !(line[end] === '=' || line[end] === ':' || WHITESPACE.test(line[end]!))) end += line[end] === '\\' ? 2 : 1;
    let rest = line.slice(end).replace(/^[ \t\f]+/, '');
    if (rest.startsWith('=') || rest.startsWith(':')) rest = rest.slice(1).replace(/^[ \t\f]+/, '');
    result.set(unescape(line.slice(start, end)), unescape(rest));
  }
  return result;
}

const escapeChar = (c: string): string => {
  const code = c.charCodeAt(0);
  if (c === '\\') return '\\\\';
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  if (code < 0x20 || code > 0x7e) return `\\u${code.toString(16).padStart(4, '0')}`;
  return c;
};

/**
 * `key=value` lines as Apache's broker writes them, escaped where Properties.load would otherwise misread a value
 * (backslashes, line breaks, characters outside ASCII, which it reads as ISO-8859-1).
 */
export function formatJavaProperties(entries: Iterable<readonly [string, string]>): string {
  let out = '';
  for (const [key, value] of entries) {
    const k = key.split('').map((c) => ('=: #!'.includes(c) ? `\\${c}` : escapeChar(c))).join('');
    const v = value.split('').map(escapeChar).join('').replace(/^ /, '\\ ');
    out += `${k}=${v}\n`;
  }
  return out;
}
