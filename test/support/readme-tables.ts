import { REQUEST_HEADERS } from '../../src/protocol/request-headers.js';
import type { AnyHeaderDeclaration } from '../../src/protocol/request-header.js';
import { requestCodeName, ResponseCode } from '../../src/protocol/request-code.js';
import { ERROR_KINDS } from '../../src/errors/broker-error.js';
import { GRPC_STATUS_CODES, HTTP_STATUSES, REMOTING_RESPONSE_CODES } from '../../src/errors/boundaries.js';

// The README's tables that the code holds as data, rendered from it, so the two cannot drift apart.

const TYPE_NAMES: Record<string, string> = { string: 'string', int: 'int', clampedLong: 'long', long: 'long', bool: 'boolean' };

function fieldList(d: AnyHeaderDeclaration, required: boolean): string {
  const names = Object.entries(d.fields).filter(([, f]) => f.required === required).map(([name, f]) => {
    const range = f.type === 'int' && f.min !== undefined && f.min >= -0x8000_0000 && f.max !== undefined && f.max <= 0x7fff_ffff
      ? (f.min === -0x8000_0000 && f.max === 0x7fff_ffff ? '' : ` ${f.min}…${f.max}`)
      : '';
    const type = f.type === 'int' && (f.max ?? 0) > 0x7fff_ffff ? 'long' : TYPE_NAMES[f.type];
    return `${name} (${type}${range})`;
  });
  return names.join(', ') || '—';
}

/** One row per declaration, listing the codes that share it. */
export function requestHeaderTable(): string {
  const byDeclaration = new Map<AnyHeaderDeclaration, number[]>();
  for (const [code, d] of REQUEST_HEADERS) byDeclaration.set(d, [...(byDeclaration.get(d) ?? []), code]);
  const rows = [...byDeclaration].map(([d, codes]) => {
    const named = codes.map((c) => `${c} ${requestCodeName(c) ?? ''}`.trim()).join(', ');
    const touches = [d.topic && `topic: ${d.topic}`, d.group && `group: ${d.group}`].filter(Boolean).join('; ') || '—';
    return `| ${named} | ${fieldList(d, true)} | ${fieldList(d, false)} | ${touches} |`;
  });
  return ['| codes | required fields | optional fields | topic and group fields |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

const RESPONSE_CODE_NAMES = new Map<number, string>(Object.entries(ResponseCode).map(([name, code]) => [code, name]));

export function errorTable(): string {
  const rows = ERROR_KINDS.map((k) => {
    const code = REMOTING_RESPONSE_CODES[k];
    return `| ${k} | ${code} ${RESPONSE_CODE_NAMES.get(code)} | ${GRPC_STATUS_CODES[k]} | ${HTTP_STATUSES[k]} |`;
  });
  return ['| kind | remoting response code | RocketMQ 5 status code | admin HTTP status |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The README's generated tables, each between `<!-- generated: name -->` and `<!-- end: name -->`. */
export const GENERATED_TABLES: Record<string, () => string> = { 'request-headers': requestHeaderTable, 'error-kinds': errorTable };

/** `readme` with each generated table replaced by what the code says now. */
export function regenerated(readme: string): string {
  let out = readme;
  for (const [name, render] of Object.entries(GENERATED_TABLES)) {
    const begin = `<!-- generated: ${name} -->\n`;
    const end = `<!-- end: ${name} -->`;
    const from = out.indexOf(begin);
    const to = out.indexOf(end);
    if (from < 0 || to < from) throw new Error(`the README has no ${begin.trim()} … ${end} block`);
    out = `${out.slice(0, from + begin.length)}${render()}\n${out.slice(to)}`;
  }
  return out;
}
