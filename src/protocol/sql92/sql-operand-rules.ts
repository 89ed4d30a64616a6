// The operand checks Apache RocketMQ's expression factories make while parsing (ComparisonExpression's
// checkLessThanOperand, checkEqualOperand, checkEqualOperandCompatability, createBetween, createInFilter). Apache
// throws from them mid-parse, so the broker refuses the subscription: here they are SqlFilterErrors.
import { compareJava, JavaDouble, type SqlValue } from './java-values.js';
import { isBooleanNode, type SqlNode } from './sql-ast.js';
import { SqlFilterError } from './sql-error.js';

/** >, >=, <, <= and BETWEEN take a number literal, a property or a negation: no other literal, nothing boolean. */
export function checkOrderable(node: SqlNode, position: number): void {
  const orderable = node.kind === 'literal' ? numberValue(node) !== undefined : !isBooleanNode(node);
  if (!orderable) throw new SqlFilterError('only numbers and properties can be compared with >, >=, <, <= or BETWEEN', position);
}

/** = and <> refuse the NULL literal (IS NULL is the way), and a TRUE/FALSE literal against another kind of literal. */
export function checkEquatable(left: SqlNode, right: SqlNode, position: number): void {
  if (isNullLiteral(left) || isNullLiteral(right)) throw new SqlFilterError('NULL cannot be compared with = or <>, use IS NULL', position);
  if (left.kind === 'literal' && right.kind === 'literal' && typeof left.value === 'boolean' && typeof right.value !== 'boolean') {
    throw new SqlFilterError(`${String(left.value).toUpperCase()} cannot be compared with a non-boolean literal`, position);
  }
}

/** BETWEEN with two number literals as bounds wants them in order (NOT BETWEEN does not check). */
export function checkBetweenBounds(low: SqlNode, high: SqlNode, position: number): void {
  const lowValue = numberValue(low);
  const highValue = numberValue(high);
  if (lowValue !== undefined && highValue !== undefined && compareJava(highValue, lowValue) < 0) {
    throw new SqlFilterError('the lower bound of BETWEEN is greater than the upper bound', position);
  }
}

/** IN and NOT IN apply to a property only. */
export function checkInOperand(node: SqlNode, position: number): string {
  if (node.kind !== 'property') throw new SqlFilterError('IN applies to a property name only', position);
  return node.name;
}

const isNullLiteral = (node: SqlNode): boolean => node.kind === 'literal' && node.value === null;
function numberValue(node: SqlNode): number | bigint | JavaDouble | undefined {
  if (node.kind !== 'literal') return undefined;
  const value: SqlValue = node.value;
  return typeof value === 'number' || typeof value === 'bigint' || value instanceof JavaDouble ? value : undefined;
}
