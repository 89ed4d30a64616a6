import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareDoubles,
  compareJava,
  EVALUATION_FAILED,
  JavaDouble,
  parseJavaBoolean,
  parseJavaDouble,
  parseJavaInteger,
  parseJavaLong,
} from '../../../src/protocol/sql92/java-values.js';

// The expected values are what Java 17's Integer/Long/Double/Boolean.valueOf return for the same text.

const fails = (parse: () => unknown, text: string): void => {
  assert.throws(parse, (err: unknown) => err === EVALUATION_FAILED, text);
};

test('Integer.valueOf and Long.valueOf: a sign, digits, nothing else, within range', () => {
  const both: [string, number][] = [['5', 5], ['+5', 5], ['-5', -5], ['05', 5], ['2147483647', 2147483647], ['-2147483648', -2147483648]];
  for (const [text, value] of both) {
    assert.equal(parseJavaInteger(text), value, text);
    assert.equal(parseJavaLong(text), BigInt(value), text);
  }
  assert.ok(Object.is(parseJavaInteger('-0'), 0));
  assert.equal(parseJavaLong('2147483648'), 2147483648n);
  assert.equal(parseJavaLong('-9223372036854775808'), -(2n ** 63n));
  assert.equal(parseJavaLong('9223372036854775807'), 2n ** 63n - 1n);
  for (const text of ['', '+', '-', ' 5', '5 ', '5.0', '1e3', '0x10', '1_000']) {
    fails(() => parseJavaInteger(text), text);
    fails(() => parseJavaLong(text), text);
  }
  fails(() => parseJavaInteger('2147483648'), '2147483648');
  fails(() => parseJavaInteger('-2147483649'), '-2147483649');
  fails(() => parseJavaLong('9223372036854775808'), '9223372036854775808');
});

test('Integer.valueOf takes any decimal digit Java knows, not only ASCII ones', () => {
  assert.equal(parseJavaInteger('\u0666'), 6); // Arabic-Indic six
  assert.equal(parseJavaInteger('-\u0666\u0660'), -60);
  assert.equal(parseJavaLong('\uff15'), 5n); // fullwidth five
  fails(() => parseJavaInteger('\u{1d7ce}'), 'a digit outside the BMP is two chars to Java, neither a digit');
});

test('Double.valueOf: trimmed, decimal or hexadecimal, with an optional f/d suffix, NaN and Infinity', () => {
  const cases: [string, number][] = [
    ['5', 5], ['+5', 5], [' 6.5 ', 6.5], ['\t7\n', 7], ['5.', 5], ['.5', 0.5], ['1e3', 1000], ['1.5f', 1.5], ['6D', 6],
    ['0x1p3', 8], ['0x.8p1', 1], ['-0x1.8P1', -3], ['NaN', NaN], ['-Infinity', -Infinity], ['1e400', Infinity], ['1e-400', 0],
    ['-9223372036854775809', -9223372036854775809],
  ];
  for (const [text, value] of cases) assert.ok(Object.is(parseJavaDouble(text), value), `${JSON.stringify(text)} gave ${parseJavaDouble(text)}`);
  assert.ok(Object.is(parseJavaDouble('-0'), -0));
  for (const text of ['', '.', 'e5', '0x10', '0x1p', 'Infinityf', '1_000', '\u0666', '\u00a05']) fails(() => parseJavaDouble(text), text);
});

test('Boolean.valueOf: "true" in any case, everything else false', () => {
  for (const text of ['true', 'TRUE', 'tRuE']) assert.equal(parseJavaBoolean(text), true, text);
  for (const text of ['yes', ' true', '1', '']) assert.equal(parseJavaBoolean(text), false, text);
});

test('Double.compare orders -0.0 before 0.0 and NaN after everything', () => {
  assert.equal(compareDoubles(-0, 0), -1);
  assert.equal(compareDoubles(0, -0), 1);
  assert.equal(compareDoubles(NaN, Infinity), 1);
  assert.equal(compareDoubles(Infinity, NaN), -1);
  assert.equal(compareDoubles(NaN, NaN), 0);
  assert.equal(compareDoubles(1, 2), -1);
});

test('compareJava converts the right side to the left side\'s type, and the left String to the right side\'s', () => {
  assert.equal(compareJava(5, '5'), 0);
  assert.equal(compareJava('6', 5), 1);
  assert.equal(compareJava(2147483648n, 5), 1);
  assert.equal(compareJava(5, 2147483648n), -1);
  assert.equal(compareJava(new JavaDouble(1.5), '2'), -1);
  assert.equal(compareJava(1, new JavaDouble(1)), 0);
  assert.equal(compareJava('yes', false), 0);
  assert.equal(compareJava('b', 'a'), 1);
  assert.equal(compareJava(1, true), -1); // no rule for the pair: Apache answers "less"
  assert.equal(compareJava(true, 1), -1);
  fails(() => compareJava(true, 'true'), 'a Boolean against a String');
  fails(() => compareJava(5, 'five'), 'a String that is no Integer');
});
