// The syntax tree of a SQL92 filter, one node per Apache RocketMQ expression class the parser would build.
// Parentheses and unary plus build nothing, as in Apache, so "(a)" is still a property and "(5)" a literal;
// AND/OR chains are flattened, which evaluates the same since both are associative and short-circuit in order.
import type { SqlValue } from './java-values.js';

export type ComparisonOperator = '=' | '<>' | '>' | '>=' | '<' | '<=';
export type TextOperator = 'CONTAINS' | 'STARTSWITH' | 'ENDSWITH';

export type SqlNode =
  | { readonly kind: 'literal'; readonly value: SqlValue }
  | { readonly kind: 'property'; readonly name: string }
  /** A property where a boolean is needed: NULL when absent, otherwise FALSE (a String is never a Boolean). */
  | { readonly kind: 'propertyAsBoolean'; readonly name: string }
  | { readonly kind: 'negate'; readonly operand: SqlNode }
  | { readonly kind: 'not'; readonly operand: SqlNode }
  | { readonly kind: 'and' | 'or'; readonly operands: readonly SqlNode[] }
  | { readonly kind: 'comparison'; readonly operator: ComparisonOperator; readonly left: SqlNode; readonly right: SqlNode }
  | { readonly kind: 'isNull'; readonly operand: SqlNode; readonly negated: boolean }
  | { readonly kind: 'between'; readonly value: SqlNode; readonly low: SqlNode; readonly high: SqlNode; readonly negated: boolean }
  | { readonly kind: 'in'; readonly property: string; readonly values: readonly string[]; readonly negated: boolean }
  | { readonly kind: 'text'; readonly operator: TextOperator; readonly operand: SqlNode; readonly search: string; readonly negated: boolean };

/** Whether Apache counts the node as a BooleanExpression (TRUE, FALSE and NULL literals included). */
export function isBooleanNode(node: SqlNode): boolean {
  switch (node.kind) {
    case 'literal':
      return node.value === null || typeof node.value === 'boolean';
    case 'property':
    case 'negate':
      return false;
    default:
      return true;
  }
}

export function childrenOf(node: SqlNode): readonly SqlNode[] {
  switch (node.kind) {
    case 'literal':
    case 'property':
    case 'propertyAsBoolean':
    case 'in':
      return [];
    case 'negate':
    case 'not':
    case 'isNull':
    case 'text':
      return [node.operand];
    case 'and':
    case 'or':
      return node.operands;
    case 'comparison':
      return [node.left, node.right];
    case 'between':
      return [node.value, node.low, node.high];
  }
}
