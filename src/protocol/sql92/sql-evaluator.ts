// Turns a parsed filter into a tree of closures that evaluates it with Apache RocketMQ's semantics: the value of
// every node is Java's (null, Boolean, String, Integer, Long or Double), null is SQL's unknown, and a conversion
// that fails throws EVALUATION_FAILED (java-values.ts) out of the whole evaluation, as Apache's exceptions do.
import { compareDoubles, compareJava, JavaDouble, parseJavaDouble, type PresentValue, type SqlValue } from './java-values.js';
import type { ComparisonOperator, SqlNode, TextOperator } from './sql-ast.js';

export type PropertyLookup = (name: string) => string | undefined;
export type Evaluate = (property: PropertyLookup) => SqlValue;

/** Only what is built here is reused across messages; property values are read and converted anew each time. */
export function compileEvaluator(node: SqlNode): Evaluate {
  switch (node.kind) {
    case 'literal':
      return constantly(node.value);
    case 'property': {
      const name = node.name;
      return (property) => property(name) ?? null;
    }
    case 'propertyAsBoolean': {
      const name = node.name;
      return (property) => (property(name) === undefined ? null : false);
    }
    case 'negate': {
      const constant = constantOf(node);
      if (constant !== undefined) return constantly(constant.value);
      const operand = compileEvaluator(node.operand);
      return (property) => negate(operand(property));
    }
    case 'not': {
      const operand = compileEvaluator(node.operand);
      return (property) => not(operand(property));
    }
    case 'and':
      return conjunction(node.operands.map(compileEvaluator));
    case 'or':
      return disjunction(node.operands.map(compileEvaluator));
    case 'comparison':
      return comparison(node.operator, compileEvaluator(node.left), compileEvaluator(node.right));
    case 'isNull': {
      // Apache builds IS NULL as "operand = NULL", which is TRUE for null only and never unknown.
      const operand = compileEvaluator(node.operand);
      return node.negated ? (property) => operand(property) !== null : (property) => operand(property) === null;
    }
    case 'between': {
      // Apache's BETWEEN is "value >= low AND value <= high", NOT BETWEEN "value < low OR value > high".
      const value = compileEvaluator(node.value);
      const low = compileEvaluator(node.low);
      const high = compileEvaluator(node.high);
      return node.negated
        ? disjunction([comparison('<', value, low), comparison('>', value, high)])
        : conjunction([comparison('>=', value, low), comparison('<=', value, high)]);
    }
    case 'in': {
      const { property: name, negated } = node;
      const values = new Set(node.values);
      return (property) => {
        const value = property(name);
        return value === undefined ? null : values.has(value) !== negated;
      };
    }
    case 'text':
      return textTest(node.operator, compileEvaluator(node.operand), node.search, node.negated);
  }
}

function constantly(value: SqlValue): Evaluate {
  return () => value;
}

/** A literal, or a literal under minus signs: the same value for every message, so computed once. */
function constantOf(node: SqlNode): { value: SqlValue } | undefined {
  if (node.kind === 'literal') return { value: node.value };
  if (node.kind !== 'negate') return undefined;
  const operand = constantOf(node.operand);
  return operand && { value: negate(operand.value) };
}

/** Minus on a number; anything else (a property's String included) becomes null. */
function negate(value: SqlValue): SqlValue {
  if (typeof value === 'number') return value === 0 ? 0 : -value;
  if (typeof value === 'bigint') return -value;
  return value instanceof JavaDouble ? new JavaDouble(-value.value) : null;
}

function not(value: SqlValue): SqlValue {
  return value === null ? null : !value;
}

/**
 * AND (`decisive` FALSE) and OR (`decisive` TRUE) in SQL's three-valued logic: the decisive value as soon as an
 * operand has it (the rest is not evaluated, as Apache stops), else unknown if an operand was unknown.
 */
function junction(operands: readonly Evaluate[], decisive: boolean): Evaluate {
  return (property) => {
    let unknown = false;
    for (const operand of operands) {
      const value = operand(property);
      if (value === decisive) return decisive;
      if (value === null) unknown = true;
    }
    return unknown ? null : !decisive;
  };
}

const conjunction = (operands: readonly Evaluate[]): Evaluate => junction(operands, false);
const disjunction = (operands: readonly Evaluate[]): Evaluate => junction(operands, true);

const ORDER_TESTS: Record<'>' | '>=' | '<' | '<=', (order: number) => boolean> = {
  '>': (order) => order > 0,
  '>=': (order) => order >= 0,
  '<': (order) => order < 0,
  '<=': (order) => order <= 0,
};

function comparison(operator: ComparisonOperator, left: Evaluate, right: Evaluate): Evaluate {
  if (operator === '=') return (property) => equals(left(property), right(property));
  if (operator === '<>') return (property) => not(equals(left(property), right(property)));
  const test = ORDER_TESTS[operator];
  return (property) => {
    // Unlike =, an unknown left side leaves the right side unevaluated.
    const l = left(property);
    if (l === null) return null;
    const r = right(property);
    return r === null ? null : test(compareOrdered(l, r));
  };
}

/**
 * Apache's equality: null against null is TRUE, null on the left alone unknown, null on the right alone FALSE
 * (so "5 = a" and "a = 5" differ when a is absent); otherwise the two compare as equal.
 */
function equals(left: SqlValue, right: SqlValue): SqlValue {
  if (left === null) return right === null ? true : null;
  if (right === null) return false;
  return compareJava(left, right) === 0;
}

/** For >, >=, <, <= two Strings (two properties) compare as Doubles; Apache refuses to order them as text. */
function compareOrdered(left: PresentValue, right: PresentValue): number {
  if (typeof left === 'string' && typeof right === 'string') return compareDoubles(parseJavaDouble(left), parseJavaDouble(right));
  return compareJava(left, right);
}

const TEXT_TESTS: Record<TextOperator, (value: string, search: string) => boolean> = {
  CONTAINS: (value, search) => value.includes(search),
  STARTSWITH: (value, search) => value.startsWith(search),
  ENDSWITH: (value, search) => value.endsWith(search),
};

/** Never unknown: an empty search, an absent or a non-String value are FALSE, for the NOT forms as well. */
function textTest(operator: TextOperator, operand: Evaluate, search: string, negated: boolean): Evaluate {
  if (search === '') return () => false;
  const test = TEXT_TESTS[operator];
  return (property) => {
    const value = operand(property);
    return typeof value === 'string' ? test(value, search) !== negated : false;
  };
}
