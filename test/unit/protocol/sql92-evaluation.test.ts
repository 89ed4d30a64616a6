import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSql92 } from '../../../src/protocol/sql92/sql-parser.js';
import { check, rejects, type Case, type Outcome, type Properties } from '../../support/sql92-outcome.js';

// How an SQL92 filter evaluates against String properties, case by case as Apache RocketMQ's broker does it.

test('TAGS is an ordinary String property', () => {
  check([
    ["TAGS = 'TagA'", { TAGS: 'TagA' }, 'TRUE'],
    ["TAGS IN ('TagA', 'TagB') AND region = 'eu'", { TAGS: 'TagB', region: 'eu' }, 'TRUE'],
    ["TAGS = 'TagA'", {}, 'UNKNOWN'],
    ["TAGS IS NOT NULL AND TAGS = '''''tag'''''", { TAGS: "''tag''" }, 'TRUE'],
  ]);
});

test('= and <> against the same kind of value', () => {
  check([
    ["a = 'abc'", { a: 'abc' }, 'TRUE'],
    ["a <> 'abc'", { a: 'abd' }, 'TRUE'],
    ['a = b', { a: '3.14', b: '3.14' }, 'TRUE'],
    ['a <> b', { a: '3.14', b: '3.141' }, 'TRUE'],
    ['a = b', { a: '10', b: '10.0' }, 'FALSE'], // two Strings: no number conversion for =
    ['1 = 1.0', {}, 'TRUE'],
    ['2147483648 = 2147483648.0', {}, 'TRUE'],
  ]);
});

test('a String property against a number literal is converted with Integer/Long/Double.valueOf, failing as Java does', () => {
  check([
    ['a = 5', { a: '5' }, 'TRUE'],
    ['a = 5', { a: '05' }, 'TRUE'],
    ['a = 5', { a: '+5' }, 'TRUE'],
    ['5 = a', { a: '5' }, 'TRUE'],
    ['a = 5', { a: '5.0' }, 'ERROR'],
    ['a = 5', { a: ' 5' }, 'ERROR'],
    ['a > 5', { a: 'abc' }, 'ERROR'],
    ['a <> 5', { a: 'x' }, 'ERROR'],
    ['a > 5', { a: '\u0666' }, 'TRUE'], // Integer.valueOf takes an Arabic-Indic 6
    ['a > 5.0', { a: '\u0666' }, 'ERROR'], // Double.valueOf does not
    ['a > 5.0', { a: ' 6.5 ' }, 'TRUE'],
    ['a > 5.0', { a: '6d' }, 'TRUE'],
    ['a > 5.0', { a: '1.5f' }, 'FALSE'],
    ['a > 5.0', { a: '0x1p3' }, 'TRUE'],
    ['a > 5.0', { a: 'Infinity' }, 'TRUE'],
    ['a > 5.0', { a: 'NaN' }, 'TRUE'], // Double.compareTo puts NaN above everything
    ['a > 5', { a: 'NaN' }, 'ERROR'],
    ['a < 0.5', { a: '-0' }, 'TRUE'],
  ]);
});

test('two properties ordered with > >= < <= compare as Doubles, never as text', () => {
  check([
    ['a > b', { a: '10', b: '9' }, 'TRUE'],
    ['a > b', { a: '10', b: '20' }, 'FALSE'],
    ['a > b', { a: '20', b: '10' }, 'TRUE'],
    ['a <= b', { a: '1e3', b: '1000' }, 'TRUE'],
    ['a > b', { a: 'x', b: 'y' }, 'ERROR'],
    ['a BETWEEN b AND c', { a: '2', b: '1', c: '3' }, 'TRUE'],
    ['a BETWEEN up AND low', { a: '3.14', up: 'up', low: 'low' }, 'ERROR'],
  ]);
});

test('literals against literals', () => {
  check([
    ["'5' = 5", {}, 'TRUE'],
    ["'x' = 1", {}, 'ERROR'],
    ['1 = TRUE', {}, 'FALSE'], // Apache answers "less" for a number against a Boolean
    ['TRUE = FALSE', {}, 'FALSE'],
    ["'axb' CONTAINS 'x'", {}, 'TRUE'],
  ]);
  rejects('TRUE = 1', 5);
  rejects("FALSE <> 'x'", 6);
  rejects("a > 'x'", 4);
  rejects('a < TRUE', 4);
});

test('a Boolean literal against a property reads the property with Boolean.valueOf', () => {
  check([
    ['a = TRUE OR b = FALSE', { a: 'true', b: 'false' }, 'TRUE'],
    ['a = TRUE OR b = FALSE', { a: 'false', b: 'true' }, 'FALSE'],
    ['a = TRUE', { a: 'True' }, 'TRUE'],
    ['a = TRUE', { a: 'yes' }, 'FALSE'],
    ['a = FALSE', { a: 'anything else' }, 'TRUE'],
    ['TRUE = a', { a: 'true' }, 'ERROR'], // Apache casts the wrong side
    ['(a = 1) = TRUE', { a: '1' }, 'TRUE'],
  ]);
});

test('a property where a condition is expected is unknown when absent and FALSE otherwise, even "true"', () => {
  check([
    ['a', {}, 'UNKNOWN'],
    ['a', { a: 'true' }, 'FALSE'],
    ['NOT a', { a: 'true' }, 'TRUE'],
    ['a OR b = 1', { a: '', b: '1' }, 'TRUE'],
    ['(a)', { a: 'x' }, 'FALSE'],
  ]);
});

test('BETWEEN is inclusive, NOT BETWEEN its complement; literal bounds of BETWEEN must be in order', () => {
  check([
    ['a BETWEEN 2 AND 10', { a: '2' }, 'TRUE'],
    ['a BETWEEN 2 AND 10', { a: '10' }, 'TRUE'],
    ['a BETWEEN 2 AND 10', { a: '3' }, 'TRUE'],
    ['a BETWEEN 2 AND 10', { a: '1' }, 'FALSE'],
    ['a BETWEEN 2 AND 10', { a: '11' }, 'FALSE'],
    ['a NOT BETWEEN 2 AND 10', { a: '1' }, 'TRUE'],
    ['a NOT BETWEEN 2 AND 10', { a: '11' }, 'TRUE'],
    ['a NOT BETWEEN 2 AND 10', { a: '10' }, 'FALSE'],
    ['a BETWEEN 1 AND 1', { a: '1' }, 'TRUE'],
    ['a NOT BETWEEN 10 AND 0', { a: '5' }, 'TRUE'], // not checked for NOT BETWEEN
    ['a BETWEEN -1 AND -5', { a: '-3' }, 'FALSE'], // negative bounds are not literals to Apache, so not checked
    ['a BETWEEN 0.5 AND 1', { a: '0.75' }, 'ERROR'], // the Integer bound reads the property as an Integer
    ['key IS NOT NULL AND key BETWEEN 0 AND 100', { key: 'con' }, 'ERROR'],
  ]);
  rejects(' a BETWEEN 10 AND 0', 11);
  rejects('a BETWEEN 1.5 AND 1', 10);
  rejects("a BETWEEN 'a' AND 'b'", 10);
  rejects('a BETWEEN NULL AND 1', 10);
  rejects('a BETWEEN 1 2', 12);
  rejects('a AND BETWEEN 2 AND 10', 6);
});

test('IN and NOT IN take a property and a list of string literals, compared exactly', () => {
  check([
    ["a IN ('3', '4', '5')", { a: '3' }, 'TRUE'],
    ["a IN ('3', '4', '5')", { a: '5' }, 'TRUE'],
    ["a IN ('3', '4', '5')", { a: '8' }, 'FALSE'],
    ["a IN ('5')", { a: '5.0' }, 'FALSE'],
    ["a NOT IN ('3', '4', '5')", { a: '8' }, 'TRUE'],
    ["a NOT IN ('3', '4', '5')", { a: '4' }, 'FALSE'],
    ["a IN ('a', 'b', 'c', 'd', 'e', 'f')", { a: 'f' }, 'TRUE'],
    ["(a NOT IN ('6', '4', '5')) OR (b IN ('3', '4', '5'))", { a: '4', b: '3' }, 'TRUE'],
    ["(a) IN ('x') AND +b IN ('y')", { a: 'x', b: 'y' }, 'TRUE'],
  ]);
  rejects("'a' IN ('a')", 0);
  rejects("-a IN ('a')", 0);
  rejects('a IN (1, 2)', 6);
  rejects('a IN ()', 6);
  rejects("a IN ('x'", 9);
});

test('IS NULL and IS NOT NULL are never unknown', () => {
  check([
    ['a IS NULL', { abc: '2' }, 'TRUE'],
    ['a IS NULL', { a: '2' }, 'FALSE'],
    ['a IS NOT NULL', { a: '2' }, 'TRUE'],
    ['a IS NOT NULL', { abc: '2' }, 'FALSE'],
    ['a IS NOT NULL AND a = \'hello\'', { a: 'hello' }, 'TRUE'],
    ['a IS NOT NULL AND a = \'hello\'', {}, 'FALSE'],
    ["a IS NULL OR a = 'hello'", {}, 'TRUE'],
    ["a IS NULL OR a = 'hello'", { a: 'abc' }, 'FALSE'],
    ['NULL IS NULL', {}, 'TRUE'],
    ["'x' IS NOT NULL", {}, 'TRUE'],
    ['(a > 1) IS NULL', {}, 'TRUE'],
  ]);
  rejects('a IS 5', 5);
});

test('CONTAINS, STARTSWITH, ENDSWITH and their NOT forms match plain text', () => {
  const operators = ['CONTAINS', 'STARTSWITH', 'ENDSWITH'];
  const each = (search: string, properties: Properties, positive: Outcome, negative: Outcome, subject = 'value'): Case[] =>
    operators.flatMap((op): Case[] => [
      [`${subject} ${op} '${search}'`, properties, positive],
      [`${subject} NOT ${op} '${search}'`, properties, negative],
    ]);
  check([
    ["value contains 'x'", { value: 'axb' }, 'TRUE'],
    ["value startswith 'ax'", { value: 'axb' }, 'TRUE'],
    ["value endswith 'xb'", { value: 'axb' }, 'TRUE'],
    ["value not startswith 'ax'", { value: 'axb' }, 'FALSE'],
    ...each('x', { value: 'abb' }, 'FALSE', 'TRUE'),
    ...each('.', {}, 'FALSE', 'TRUE', "'axb'"),
    ...each('\\', {}, 'FALSE', 'TRUE', "'s'"),
    ...each(' ', {}, 'TRUE', 'FALSE', "' '"),
  ]);
});

test('CONTAINS and the like are FALSE, in both forms, for an empty search, an absent property or a non-String', () => {
  const operators = ['CONTAINS', 'STARTSWITH', 'ENDSWITH'];
  const cases: Case[] = [];
  for (const op of operators) {
    for (const not of ['', 'NOT ']) {
      cases.push(
        [`value ${not}${op} ''`, { value: 'axb' }, 'FALSE'],
        [`value ${not}${op} 'x'`, {}, 'FALSE'],
        [`1.23 ${not}${op} 'x'`, {}, 'FALSE'],
        [`(value = 'x') ${not}${op} 'x'`, { value: 'x' }, 'FALSE'],
      );
    }
  }
  check([...cases, ["NOT (value CONTAINS 'x')", {}, 'TRUE']]);
  rejects('value CONTAINS x', 15);
  rejects('value NOT CONTAINS 123', 19);
  rejects("'axb' CONTAINS ", 15);
  rejects("value NOT LIKE 'x'", 10);
});

test('CONTAINS and friends combine with the other operators', () => {
  for (const op of ['contains', 'startswith', 'endswith']) {
    const expression = `a not in ('4', '4', '5') and b between 3 and 10 and c not ${op} 'axbc'`;
    check([[expression, { a: '3', b: '3', c: 'axbdc' }, 'TRUE']]);
  }
});

test('unary minus negates numbers only; on a property it gives unknown; unary plus changes nothing', () => {
  check([
    ['a = -3', { a: '-3' }, 'TRUE'],
    ['a = - -5', { a: '5' }, 'TRUE'],
    ['a > +-5', { a: '1' }, 'TRUE'],
    ['-a = -3', { a: '3' }, 'UNKNOWN'],
    ['a > -b', { a: '1', b: '2' }, 'UNKNOWN'],
    ["a = +'x'", { a: 'x' }, 'TRUE'],
    ['a = -NULL', {}, 'TRUE'], // a minus sign makes NULL something = accepts, and null = null is TRUE
  ]);
  rejects('-a', 0);
  rejects('-(a = 1)', 0);
});

test('an absent property makes comparisons unknown, except on the right of =, where Apache answers FALSE', () => {
  check([
    ['a > 5', {}, 'UNKNOWN'],
    ['a = 5', {}, 'UNKNOWN'],
    ['a <> 5', {}, 'UNKNOWN'],
    ['a BETWEEN 1 AND 3', {}, 'UNKNOWN'],
    ['a NOT BETWEEN 1 AND 3', {}, 'UNKNOWN'],
    ["a IN ('1')", {}, 'UNKNOWN'],
    ["a NOT IN ('1')", {}, 'UNKNOWN'],
    ['5 = a', {}, 'FALSE'],
    ['5 <> a', {}, 'TRUE'],
    ['a = b', {}, 'TRUE'],
    ['a <> b', {}, 'FALSE'],
    ['a = b', { a: '1' }, 'FALSE'],
    ['a BETWEEN up AND low', { a: '3.14' }, 'UNKNOWN'],
  ]);
});

test('AND, OR and NOT follow three-valued logic', () => {
  const values = { TRUE: 'TRUE', FALSE: 'FALSE', NULL: 'UNKNOWN' } as const;
  const and = { TRUE: { TRUE: 'TRUE', FALSE: 'FALSE', NULL: 'UNKNOWN' }, FALSE: { TRUE: 'FALSE', FALSE: 'FALSE', NULL: 'FALSE' }, NULL: { TRUE: 'UNKNOWN', FALSE: 'FALSE', NULL: 'UNKNOWN' } } as const;
  const or = { TRUE: { TRUE: 'TRUE', FALSE: 'TRUE', NULL: 'TRUE' }, FALSE: { TRUE: 'TRUE', FALSE: 'FALSE', NULL: 'UNKNOWN' }, NULL: { TRUE: 'TRUE', FALSE: 'UNKNOWN', NULL: 'UNKNOWN' } } as const;
  const literals = Object.keys(values) as (keyof typeof values)[];
  for (const l of literals) {
    for (const r of literals) check([[`${l} AND ${r}`, {}, and[l][r]], [`${l} OR ${r}`, {}, or[l][r]]]);
  }
  check([['NOT TRUE', {}, 'FALSE'], ['NOT FALSE', {}, 'TRUE'], ['NOT NULL', {}, 'UNKNOWN'], ['NOT (a > 5)', {}, 'UNKNOWN']]);
});

test('an evaluation error aborts the whole filter, unless evaluation stopped before reaching it', () => {
  check([
    ['a = 1 AND b > 5', { a: '2', b: 'x' }, 'FALSE'],
    ['a = 1 AND b > 5', { a: '1', b: 'x' }, 'ERROR'],
    ['a = 1 OR b > 5', { a: '1', b: 'x' }, 'TRUE'],
    ['x > 5 AND b > 5', { b: 'x' }, 'ERROR'], // unknown does not stop AND
    ['a > 5 OR b = 1', { a: 'x', b: '1' }, 'ERROR'],
    ['NOT (a > 5)', { a: 'x' }, 'ERROR'],
    ['a > -(b = 1)', { b: 'x' }, 'UNKNOWN'], // an absent left side of > leaves the right side unread
    ['a > -(b = 1)', { a: '1', b: 'x' }, 'ERROR'],
  ]);
});

test('Apache\'s ExpressionTest AND/OR cases, with every value a String as the broker has them', () => {
  const and = 'a=3 and b<>4 And c>5 AND d<=4';
  const or = 'a=3 or b<>4 Or c>5 OR d<=4';
  check([
    [and, { a: '3', b: '5', c: '6', d: '1' }, 'TRUE'],
    [and, { a: '4', b: '5', c: '6', d: '1' }, 'FALSE'],
    [or, { a: '3' }, 'TRUE'],
    [or, { a: '4', b: '5' }, 'TRUE'],
    [or, { a: '4', b: '4', c: '6' }, 'TRUE'],
    [or, { a: '4', b: '4', c: '3', d: '2' }, 'TRUE'],
    [or, { a: '4', b: '4', c: '3', d: '10' }, 'FALSE'],
  ]);
  assert.deepEqual(parseSql92(and), parseSql92('a=3  and    b<>4 And c>5 AND d<=4'));
  assert.notDeepEqual(parseSql92(and), parseSql92(or));
});
