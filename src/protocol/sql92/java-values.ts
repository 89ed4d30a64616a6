// The values an Apache RocketMQ SQL92 filter computes with, and the Java rules it compares them by. In the broker
// every message property is a String; literals are Integer (when they fit), Long, Double, String or Boolean.
// Mixed comparisons convert one side the way ComparisonExpression.__compare does, through Integer.valueOf,
// Long.valueOf, Double.valueOf or Boolean.valueOf, and a conversion that fails aborts the whole evaluation.

/** A Java Double, boxed so that it stays apart from an Integer (a plain number). Only literals make these. */
export class JavaDouble {
  constructor(readonly value: number) {}
}

/** Java's null, Boolean, String, Integer (number), Long (bigint) or Double (JavaDouble). */
export type SqlValue = null | boolean | string | number | bigint | JavaDouble;
export type PresentValue = Exclude<SqlValue, null>;

/**
 * Thrown where Apache's evaluation throws (a String that does not convert, a Boolean cast to String); the broker
 * logs it and counts the message as no match. One shared symbol, not an Error: a property that never converts
 * fails every message of every pull, and a symbol costs no stack trace.
 */
export const EVALUATION_FAILED: unique symbol = Symbol('SQL92 filter evaluation failed');

/** compareTo's sign for two values Java would compare directly (Integer/Long in any mix, Strings, Booleans). */
function order(a: number | bigint | string | boolean, b: number | bigint | string | boolean): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Double.compare: -0.0 sorts before 0.0, and NaN after everything, equal to itself. */
export function compareDoubles(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return a !== 0 || Object.is(a, b) ? 0 : Object.is(a, -0) ? -1 : 1;
  const aNaN = Number.isNaN(a);
  return aNaN === Number.isNaN(b) ? 0 : aNaN ? 1 : -1;
}

/**
 * ComparisonExpression.__compare with string conversion on (as the broker's parser always sets it): the left
 * value decides which side converts. Apache answers -1 ("less") for pairs it has no rule for, such as a number
 * and a Boolean, and its Boolean-against-String rule casts the wrong side, which throws.
 */
export function compareJava(left: PresentValue, right: PresentValue): number {
  if (left instanceof JavaDouble) {
    if (right instanceof JavaDouble) return compareDoubles(left.value, right.value);
    if (typeof right === 'string') return compareDoubles(left.value, parseJavaDouble(right));
    return typeof right === 'boolean' ? -1 : compareDoubles(left.value, Number(right));
  }
  switch (typeof left) {
    case 'number':
    case 'bigint':
      if (right instanceof JavaDouble) return compareDoubles(Number(left), right.value);
      if (typeof right === 'string') return order(left, typeof left === 'number' ? parseJavaInteger(right) : parseJavaLong(right));
      return typeof right === 'boolean' ? -1 : order(left, right);
    case 'string':
      if (right instanceof JavaDouble) return compareDoubles(parseJavaDouble(left), right.value);
      if (typeof right === 'number') return order(parseJavaInteger(left), right);
      if (typeof right === 'bigint') return order(parseJavaLong(left), right);
      return order(typeof right === 'boolean' ? parseJavaBoolean(left) : left, right);
    case 'boolean':
      if (typeof right === 'boolean') return order(left, right);
      if (typeof right === 'string') throw EVALUATION_FAILED;
      return -1;
  }
}

/** Boolean.valueOf: "true" in any case is true, anything else false. */
export function parseJavaBoolean(text: string): boolean {
  return /^true$/i.test(text);
}

/** Integer.valueOf: a sign, then digits, no spaces, within 32 bits. */
export function parseJavaInteger(text: string): number {
  const digits = integerDigits(text);
  const value = digits === null ? NaN : Number(digits);
  if (!(value >= -2147483648 && value <= 2147483647)) throw EVALUATION_FAILED;
  return value === 0 ? 0 : value;
}

/** Long.valueOf: a sign, then digits, no spaces, within 64 bits. */
export function parseJavaLong(text: string): bigint {
  const digits = integerDigits(text);
  if (digits === null) throw EVALUATION_FAILED;
  const value = BigInt(digits);
  if (value < -(2n ** 63n) || value >= 2n ** 63n) throw EVALUATION_FAILED;
  return value;
}

const ASCII_INTEGER = /^[+-]?[0-9]+$/;
const DECIMAL_DIGIT = /^\p{Nd}$/u;

/**
 * The text Integer/Long.valueOf read, as ASCII, or null when they would refuse it. Java reads its digits with
 * Character.digit, which takes any decimal digit of the Basic Multilingual Plane, Arabic-Indic ones included.
 */
function integerDigits(text: string): string | null {
  if (ASCII_INTEGER.test(text)) return text;
  const signed = text[0] === '+' || text[0] === '-';
  if (text.length === (signed ? 1 : 0)) return null;
  let digits = signed ? text[0]! : '';
  for (let i = signed ? 1 : 0; i < text.length; i++) {
    const digit = digitValue(text.charCodeAt(i));
    if (digit < 0) return null;
    digits += digit;
  }
  return digits;
}

/** Unicode encodes each set of decimal digits as one run from 0 to 9, so a digit's value is its offset in the run. */
function digitValue(code: number): number {
  const isDigitAt = (c: number): boolean => DECIMAL_DIGIT.test(String.fromCharCode(c));
  if (!isDigitAt(code)) return -1;
  let runStart = code;
  while (isDigitAt(runStart - 1)) runStart--;
  return (code - runStart) % 10;
}

const JAVA_DOUBLE =
  /^[+-]?(?:NaN|Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?|0[xX](?:[0-9a-fA-F]+\.?|[0-9a-fA-F]*\.[0-9a-fA-F]+)[pP][+-]?[0-9]+[fFdD]?)$/;
const HEX_DOUBLE = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?[0-9]+)/;

/**
 * Double.valueOf: surrounding control characters and spaces ignored; decimal with an optional exponent and an
 * f/d suffix, NaN, Infinity, or hexadecimal with a binary exponent. Digits are ASCII only here.
 */
export function parseJavaDouble(text: string): number {
  const trimmed = javaTrim(text);
  if (!JAVA_DOUBLE.test(trimmed)) throw EVALUATION_FAILED;
  const hex = HEX_DOUBLE.exec(trimmed);
  if (hex !== null) return hexDouble(hex[1] === '-', hex[2]! + hex[3]!, hex[3]!.length, Number(hex[4]));
  return Number(/[fFdD]$/.test(trimmed) ? trimmed.slice(0, -1) : trimmed);
}

/** String.trim: strips characters up to U+0020 from both ends. */
function javaTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** Rounded once to 53 bits, then scaled in two steps so that neither power of two overflows on its own. */
function hexDouble(negative: boolean, digits: string, fractionDigits: number, exponent: number): number {
  const mantissa = Number(BigInt(`0x${digits || '0'}`));
  const scale = exponent - 4 * fractionDigits;
  const half = Math.trunc(scale / 2);
  const magnitude = mantissa === 0 ? 0 : mantissa * 2 ** half * 2 ** (scale - half);
  return negative ? -magnitude : magnitude;
}
