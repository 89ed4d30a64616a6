// Tokens of Apache RocketMQ's SQL92 filter grammar (filter/.../parser/SelectorParser.jj). Outside string literals
// only ASCII is allowed, keywords are case-insensitive, property names are not. Numbers follow the grammar's
// longest-match rules: "012" is the two literals 0 and 12, "5e3" and "5." are floats, there is no hex or octal.
import { SqlFilterError } from './sql-error.js';

type Keyword = 'NOT' | 'AND' | 'OR' | 'BETWEEN' | 'IN' | 'TRUE' | 'FALSE' | 'NULL' | 'IS' | 'CONTAINS' | 'STARTSWITH' | 'ENDSWITH';
type Punctuation = '=' | '<>' | '>' | '>=' | '<' | '<=' | '(' | ',' | ')' | '+' | '-';
export type TokenKind = Keyword | Punctuation | 'identifier' | 'decimal' | 'float' | 'string' | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** The source text of the token ('' for the end). */
  readonly text: string;
  readonly position: number;
}

const KEYWORDS: ReadonlySet<string> = new Set<Keyword>([
  'NOT', 'AND', 'OR', 'BETWEEN', 'IN', 'TRUE', 'FALSE', 'NULL', 'IS', 'CONTAINS', 'STARTSWITH', 'ENDSWITH',
]);
const TWO_CHAR_PUNCTUATION: ReadonlySet<string> = new Set<Punctuation>(['<>', '>=', '<=']);
const ONE_CHAR_PUNCTUATION: ReadonlySet<string> = new Set<Punctuation>(['=', '>', '<', '(', ',', ')', '+', '-']);

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isIdentifierStart = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '$';
const isIdentifierPart = (c: string | undefined): boolean => c !== undefined && (isIdentifierStart(c) || isDigit(c));
const isWhitespace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number): void => {
    tokens.push({ kind, text: source.slice(i, end), position: i });
    i = end;
  };
  while (i < source.length) {
    const c = source[i]!;
    if (isWhitespace(c)) {
      i++;
    } else if (c === '-' && source[i + 1] === '-' && lineEnd(source, i + 2) >= 0) {
      // The grammar's line comment needs its line break: "--" at the very end is two minus signs.
      i = lineEnd(source, i + 2) + 1;
    } else if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      if (end < 0) throw new SqlFilterError('unterminated comment', i);
      i = end + 2;
    } else if (c === "'") {
      push('string', stringEnd(source, i));
    } else if (isDigit(c) || (c === '.' && isDigit(source[i + 1]))) {
      const [kind, end] = scanNumber(source, i);
      push(kind, end);
    } else if (isIdentifierStart(c)) {
      let end = i + 1;
      while (isIdentifierPart(source[end])) end++;
      const upper = source.slice(i, end).toUpperCase();
      push(KEYWORDS.has(upper) ? (upper as Keyword) : 'identifier', end);
    } else if (TWO_CHAR_PUNCTUATION.has(source.slice(i, i + 2))) {
      push(source.slice(i, i + 2) as Punctuation, i + 2);
    } else if (ONE_CHAR_PUNCTUATION.has(c)) {
      push(c as Punctuation, i + 1);
    } else {
      throw new SqlFilterError(`unexpected character ${JSON.stringify(c)}`, i);
    }
  }
  tokens.push({ kind: 'end', text: '', position: source.length });
  return tokens;
}

/** The value of a string literal: quotes stripped, each doubled quote made one. */
export function stringValue(text: string): string {
  return text.slice(1, -1).replaceAll("''", "'");
}

function lineEnd(source: string, from: number): number {
  for (let i = from; i < source.length; i++) {
    if (source[i] === '\n' || source[i] === '\r') return i;
  }
  return -1;
}

function stringEnd(source: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const quote = source.indexOf("'", i);
    if (quote < 0) throw new SqlFilterError('unterminated string literal', start);
    if (source[quote + 1] !== "'") return quote + 1;
    i = quote + 2;
  }
}

function scanNumber(source: string, start: number): ['decimal' | 'float', number] {
  let i = start;
  while (isDigit(source[i])) i++;
  if (source[i] === '.') {
    i++;
    while (isDigit(source[i])) i++;
    return ['float', exponentEnd(source, i)];
  }
  const exponent = exponentEnd(source, i);
  if (exponent > i) return ['float', exponent];
  // A decimal literal is "0" alone or starts with 1-9, and only the latter may end in L.
  if (source[start] === '0') return ['decimal', start + 1];
  return ['decimal', source[i] === 'l' || source[i] === 'L' ? i + 1 : i];
}

function exponentEnd(source: string, from: number): number {
  if (source[from] !== 'e' && source[from] !== 'E') return from;
  let i = from + 1;
  if (source[i] === '+' || source[i] === '-') i++;
  if (!isDigit(source[i])) return from;
  while (isDigit(source[i])) i++;
  return i;
}
