import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSql92, MAX_EXPRESSION_LENGTH, SqlFilterError } from '../../../src/protocol/sql92/index.js';
import { parseSql92 } from '../../../src/protocol/sql92/sql-parser.js';
import { check, lookup, matches, rejects } from '../../support/sql92-outcome.js';

// The SQL92 filter's API, lexing, literals, precedence and what it refuses; sql92-evaluation.test.ts has the semantics.

test('a compiled filter keeps its text and answers each message on its own', () => {
  const filter = compileSql92("TAGS = 'A' AND price > 10");
  assert.equal(filter.expression, "TAGS = 'A' AND price > 10");
  assert.equal(filter.matches(lookup({ TAGS: 'A', price: '11' })), true);
  assert.equal(filter.matches(lookup({ TAGS: 'A', price: 'cheap' })), false);
  assert.equal(filter.matches(lookup({ TAGS: 'A', price: '11' })), true);
  assert.equal(filter.matches(lookup({})), false);
});

test('keywords are case-insensitive, property names are not', () => {
  check([
    ['a iS nOt NuLl', { a: '1' }, 'TRUE'],
    ['a bEtWeEn 1 AnD 3 oR FaLsE', { a: '2' }, 'TRUE'],
    ['a = tRuE', { a: 'true' }, 'TRUE'],
    ['A = 1', { a: '1' }, 'UNKNOWN'],
    ['$x_1 = 1 AND _y$ = 2', { $x_1: '1', _y$: '2' }, 'TRUE'],
    ['now >= a', { a: '1', now: '2' }, 'TRUE'],
  ]);
});

test('decimal literals are Integer when they fit 32 bits and Long up to 64 bits, with an optional L', () => {
  check([
    ['a = 10L', { a: '10' }, 'TRUE'],
    ['a = 10l', { a: '10' }, 'TRUE'],
    ['a = 5', { a: '3000000000' }, 'ERROR'], // the property is read with Integer.valueOf
    ['a = 3000000000', { a: '3000000000' }, 'TRUE'], // and with Long.valueOf
    ['a > 2147483647', { a: '2147483648' }, 'ERROR'],
    ['a > 2147483648', { a: '2147483649' }, 'TRUE'],
    ['a = 9223372036854775807', { a: '9223372036854775807' }, 'TRUE'],
    ['a > 9223372036854775806', { a: '9223372036854775807' }, 'TRUE'],
    ['a = -2147483648', { a: '-2147483649' }, 'FALSE'],
  ]);
  rejects('a = 9223372036854775808', 4);
  rejects('a > 100000000000000000000000', 4);
});

test('there are no hex or octal literals: 0x10 and 010 are a 0 followed by something else', () => {
  rejects('a = 0x10', 5);
  rejects('a = 010', 5);
  rejects('a = 0L', 5);
});

test('float literals: fraction, leading or trailing point, exponent; 0.0 and overflows are refused', () => {
  check([
    ['a > .5', { a: '0.6' }, 'TRUE'],
    ['a > 5.', { a: '6' }, 'TRUE'],
    ['a > 3.1E10', { a: '31415000000' }, 'TRUE'],
    ['a > 1e3', { a: '1001' }, 'TRUE'],
    ['a < 2.5e-1', { a: '0.2' }, 'TRUE'],
    ['a > 3.14', { a: '3.1415' }, 'TRUE'],
    ['a > 4.9e-324', { a: '1' }, 'TRUE'],
    ['a = 5.0', { a: '5' }, 'TRUE'],
  ]);
  rejects('a > 0.0', 4);
  rejects('a > 1e-400', 4);
  rejects('a > 1e400', 4);
});

test('string literals double a quote to contain one and may span lines', () => {
  check([
    ["a = 'it''s'", { a: "it's" }, 'TRUE'],
    ["a = ''''", { a: "'" }, 'TRUE'],
    ["a = ''", { a: '' }, 'TRUE'],
    ["a = 'two\nlines'", { a: 'two\nlines' }, 'TRUE'],
    ["a = 'é ✓'", { a: 'é ✓' }, 'TRUE'],
  ]);
  rejects("a = 'x", 4);
  rejects("a = 'x''", 4);
});

test('comments and whitespace', () => {
  check([
    ['/* a comment */ a = 1', { a: '1' }, 'TRUE'],
    ['a = 1 -- to the end of the line\n', { a: '1' }, 'TRUE'],
    ['a = --5', { a: '5' }, 'TRUE'], // with no line break after it, -- is two minus signs
    ['a\t=\r\n1\f', { a: '1' }, 'TRUE'],
  ]);
  rejects('/* never closed a = 1', 0);
  rejects('a\u00a0= 1', 1);
  rejects('a.b = 1', 1);
});

test('precedence: OR, then AND, then = <> IS, then > >= < <= BETWEEN IN CONTAINS…, then unary operators', () => {
  const a = { kind: 'comparison', operator: '=', left: { kind: 'property', name: 'a' }, right: { kind: 'literal', value: 1 } };
  const b = { ...a, left: { kind: 'property', name: 'b' } };
  const c = { ...a, left: { kind: 'property', name: 'c' } };
  assert.deepEqual(parseSql92('a = 1 OR b = 1 AND c = 1'), { kind: 'or', operands: [a, { kind: 'and', operands: [b, c] }] });
  assert.deepEqual(parseSql92('(a = 1 OR b = 1) AND c = 1'), { kind: 'and', operands: [{ kind: 'or', operands: [a, b] }, c] });
  assert.deepEqual(parseSql92('a = 1 AND (b = 1 AND c = 1)'), { kind: 'and', operands: [a, b, c] });
  assert.deepEqual(parseSql92('a > 1 = TRUE'), {
    kind: 'comparison',
    operator: '=',
    left: { kind: 'comparison', operator: '>', left: { kind: 'property', name: 'a' }, right: { kind: 'literal', value: 1 } },
    right: { kind: 'literal', value: true },
  });
  check([
    ['a = 1 OR b = 1 AND c = 1', { a: '1' }, 'TRUE'],
    ['a = 1 OR b = 1 AND c = 1', { b: '1' }, 'UNKNOWN'],
    ['(a = 1 OR b = 1) AND c = 1', { a: '1', c: '2' }, 'FALSE'],
    ['a = 1 = TRUE', { a: '1' }, 'TRUE'],
  ]);
  rejects('a > 1 > 0', 0);
});

test('NOT binds tighter than any comparison, so NOT a = 1 is (NOT a) = 1', () => {
  assert.deepEqual(parseSql92("NOT a = 'x'"), {
    kind: 'comparison',
    operator: '=',
    left: { kind: 'not', operand: { kind: 'propertyAsBoolean', name: 'a' } },
    right: { kind: 'literal', value: 'x' },
  });
  check([
    ["NOT a = 'x'", { a: 'x' }, 'ERROR'], // Apache casts the Boolean on the left to String
    ["NOT (a = 'x')", { a: 'y' }, 'TRUE'],
    ['NOT a IS NULL', {}, 'TRUE'],
    ['NOT NOT a', { a: 'x' }, 'FALSE'],
  ]);
  rejects('NOT a > 1', 0);
  rejects('NOT a BETWEEN 1 AND 2', 0);
  rejects("NOT a IN ('x')", 0);
});

test('expressions whose result is not a condition are refused', () => {
  for (const expression of ['1', "'x'", '1.5', '-1', '(5)', 'NOT 1', "a AND 'x'", "'x' OR a"]) rejects(expression);
  for (const expression of ['TRUE', 'FALSE', 'NULL', 'a', '(a)']) assert.doesNotThrow(() => compileSql92(expression), expression);
  rejects("a AND 'x'", 6);
});

test('syntax errors are refused with where they were found', () => {
  rejects('', 0);
  rejects('   ', 0);
  rejects('a =', 3);
  rejects('(a = 1', 6);
  rejects('a == 1', 3);
  rejects('a != 1', 2);
  rejects('a = NULL', 2);
  rejects('NULL <> a', 5);
  rejects('a > NULL', 4);
  rejects('a IS NOT 1', 9);
  rejects('a = 1 #', 6);
  assert.throws(() => compileSql92('a = '), /at position 4/);
});

test('input after a complete expression is refused (Apache would silently ignore it)', () => {
  rejects('a = 1 b = 2', 6);
  rejects('a = 1 )', 6);
  rejects('a = 1 -- comment with no line break', 6);
});

test('length and nesting are bounded', () => {
  const padded = (length: number) => `a = 1${' '.repeat(length - 5)}`;
  assert.doesNotThrow(() => compileSql92(padded(MAX_EXPRESSION_LENGTH)));
  rejects(padded(MAX_EXPRESSION_LENGTH + 1), MAX_EXPRESSION_LENGTH);
  assert.ok(matches(`${'('.repeat(64)}a = 1${')'.repeat(64)}`, { a: '1' }));
  rejects(`${'('.repeat(65)}a = 1${')'.repeat(65)}`, 64);
  rejects(`${'('.repeat(4000)}a`);
  rejects(`${'NOT '.repeat(100)}a`);
  rejects(`a = ${'-'.repeat(100)}1`);
  rejects(Array.from({ length: 100 }, (_, i) => `p${i}`).join(' = '));
  const manyAlternatives = Array.from({ length: 300 }, (_, i) => `a = '${i}'`).join(' OR ');
  assert.ok(matches(manyAlternatives, { a: '299' }));
});

test('errors thrown by the property lookup are not taken for evaluation errors', () => {
  const filter = compileSql92('a = 1');
  assert.throws(() => filter.matches(() => { throw new RangeError('lookup failed'); }), RangeError);
});

test('SqlFilterError says what and where', () => {
  try {
    compileSql92('a = 1 OR');
    assert.fail('expected an error');
  } catch (err) {
    assert.ok(err instanceof SqlFilterError);
    assert.equal(err.name, 'SqlFilterError');
    assert.equal(err.position, 8);
    assert.match(err.message, /end of the expression at position 8/);
  }
});
