// Recursive descent over Apache RocketMQ's SQL92 filter grammar (SelectorParser.jj), loosest binding first:
//   OR < AND < (=, <>, IS [NOT] NULL) < (>, >=, <, <=, [NOT] BETWEEN/IN/CONTAINS/STARTSWITH/ENDSWITH) < (+, -, NOT)
// NOT is a unary operator there, so "NOT a = 1" reads as "(NOT a) = 1". Apache's generated parser stops at the
// first token that continues nothing and ignores the rest ("a = 1 b = 2" filters on a = 1); this one refuses it.
import { JavaDouble } from './java-values.js';
import { childrenOf, isBooleanNode, type ComparisonOperator, type SqlNode, type TextOperator } from './sql-ast.js';
import { SqlFilterError } from './sql-error.js';
import { stringValue, tokenize, type Token, type TokenKind } from './sql-lexer.js';
import { checkBetweenBounds, checkEquatable, checkInOperand, checkOrderable } from './sql-operand-rules.js';

/** How deep parentheses and unary operators may nest, and how tall the tree may grow, before a filter is refused. */
export const MAX_NESTING = 64;

const LONG_MAX = 2n ** 63n - 1n;
const INTEGER_MAX = 2n ** 31n - 1n;
const ORDERING: ReadonlySet<TokenKind> = new Set<TokenKind>(['>', '>=', '<', '<=']);
const TEXT: ReadonlySet<TokenKind> = new Set<TokenKind>(['CONTAINS', 'STARTSWITH', 'ENDSWITH']);

export function parseSql92(source: string): SqlNode {
  return new Parser(tokenize(source)).filter();
}

class Parser {
  private index = 0;
  private nesting = 0;
  /** Heights of the subtrees built so far; leaves are 1 and absent. Kept aside so the tree stays plain data. */
  private readonly heights = new WeakMap<SqlNode, number>();

  constructor(private readonly tokens: readonly Token[]) {}

  filter(): SqlNode {
    const start = this.peek().position;
    const node = this.orExpression();
    const rest = this.peek();
    if (rest.kind !== 'end') throw new SqlFilterError(`unexpected ${describe(rest)} after a complete expression`, rest.position);
    return this.asBoolean(node, start);
  }

  private orExpression(): SqlNode {
    return this.logic('OR', () => this.andExpression());
  }

  private andExpression(): SqlNode {
    return this.logic('AND', () => this.equality());
  }

  private logic(keyword: 'AND' | 'OR', operand: () => SqlNode): SqlNode {
    const start = this.peek().position;
    const first = operand();
    if (this.peek().kind !== keyword) return first;
    const kind = keyword === 'AND' ? 'and' : 'or';
    const operands: SqlNode[] = [];
    const add = (node: SqlNode, position: number): void => {
      const checked = this.asBoolean(node, position);
      if (checked.kind === kind) operands.push(...checked.operands);
      else operands.push(checked);
    };
    add(first, start);
    while (this.accept(keyword)) {
      const position = this.peek().position;
      add(operand(), position);
    }
    return this.built({ kind, operands }, start);
  }

  private equality(): SqlNode {
    const start = this.peek().position;
    let left = this.comparison();
    for (;;) {
      const token = this.peek();
      if (token.kind === '=' || token.kind === '<>') {
        this.index++;
        const right = this.comparison();
        checkEquatable(left, right, token.position);
        left = this.built({ kind: 'comparison', operator: token.kind, left, right }, start);
      } else if (token.kind === 'IS') {
        this.index++;
        const negated = this.accept('NOT');
        this.expect('NULL', 'NULL or NOT NULL after IS');
        left = this.built({ kind: 'isNull', operand: left, negated }, start);
      } else {
        return left;
      }
    }
  }

  private comparison(): SqlNode {
    const start = this.peek().position;
    let left = this.unary();
    for (;;) {
      const token = this.peek();
      const negated = token.kind === 'NOT';
      const operator = negated ? this.tokens[this.index + 1]! : token;
      if (ORDERING.has(token.kind)) {
        this.index++;
        const position = this.peek().position;
        const right = this.unary();
        checkOrderable(left, start);
        checkOrderable(right, position);
        left = this.built({ kind: 'comparison', operator: token.kind as ComparisonOperator, left, right }, start);
      } else if (TEXT.has(operator.kind)) {
        this.index += negated ? 2 : 1;
        const search = this.stringLiteral();
        left = this.built({ kind: 'text', operator: operator.kind as TextOperator, operand: left, search, negated }, start);
      } else if (operator.kind === 'BETWEEN') {
        this.index += negated ? 2 : 1;
        left = this.between(left, start, negated);
      } else if (operator.kind === 'IN') {
        this.index += negated ? 2 : 1;
        const property = checkInOperand(left, start);
        left = this.built({ kind: 'in', property, values: this.stringList(), negated }, start);
      } else if (negated) {
        throw new SqlFilterError(`expected CONTAINS, STARTSWITH, ENDSWITH, BETWEEN or IN after NOT, found ${describe(operator)}`, operator.position);
      } else {
        return left;
      }
    }
  }

  private between(value: SqlNode, start: number, negated: boolean): SqlNode {
    const lowPosition = this.peek().position;
    const low = this.unary();
    this.expect('AND', 'AND between the bounds of BETWEEN');
    const highPosition = this.peek().position;
    const high = this.unary();
    checkOrderable(value, start);
    checkOrderable(low, lowPosition);
    checkOrderable(high, highPosition);
    if (!negated) checkBetweenBounds(low, high, lowPosition);
    return this.built({ kind: 'between', value, low, high, negated }, start);
  }

  private stringList(): string[] {
    this.expect('(', '( to open the list of IN');
    const values = [this.stringLiteral()];
    while (this.accept(',')) values.push(this.stringLiteral());
    this.expect(')', ', or ) in the list of IN');
    return values;
  }

  private unary(): SqlNode {
    const token = this.peek();
    if (token.kind !== '+' && token.kind !== '-' && token.kind !== 'NOT') return this.primary();
    this.index++;
    this.enter(token.position);
    const position = this.peek().position;
    const operand = this.unary();
    this.nesting--;
    if (token.kind === '+') return operand;
    if (token.kind === '-') return this.built({ kind: 'negate', operand }, token.position);
    return this.built({ kind: 'not', operand: this.asBoolean(operand, position) }, token.position);
  }

  private primary(): SqlNode {
    const token = this.peek();
    switch (token.kind) {
      case 'string':
        this.index++;
        return { kind: 'literal', value: stringValue(token.text) };
      case 'decimal':
        this.index++;
        return { kind: 'literal', value: decimalValue(token) };
      case 'float':
        this.index++;
        return { kind: 'literal', value: floatValue(token) };
      case 'TRUE':
      case 'FALSE':
        this.index++;
        return { kind: 'literal', value: token.kind === 'TRUE' };
      case 'NULL':
        this.index++;
        return { kind: 'literal', value: null };
      case 'identifier':
        this.index++;
        return { kind: 'property', name: token.text };
      case '(': {
        this.index++;
        this.enter(token.position);
        const inner = this.orExpression();
        this.expect(')', 'a closing )');
        this.nesting--;
        return inner;
      }
      default:
        throw new SqlFilterError(`expected a literal, a property name or ( but found ${describe(token)}`, token.position);
    }
  }

  private stringLiteral(): string {
    const token = this.expect('string', "a 'quoted' string");
    return stringValue(token.text);
  }

  /** Where Apache needs a boolean (AND, OR and NOT operands, the whole filter), a property stands for one. */
  private asBoolean(node: SqlNode, position: number): SqlNode {
    if (isBooleanNode(node)) return node;
    if (node.kind === 'property') return { kind: 'propertyAsBoolean', name: node.name };
    throw new SqlFilterError('expected a condition, found a value that is not boolean', position);
  }

  private built(node: SqlNode, position: number): SqlNode {
    const height = 1 + Math.max(0, ...childrenOf(node).map((child) => this.heights.get(child) ?? 1));
    if (height > MAX_NESTING) throw tooDeep(position);
    this.heights.set(node, height);
    return node;
  }

  private enter(position: number): void {
    if (++this.nesting > MAX_NESTING) throw tooDeep(position);
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private accept(kind: TokenKind): boolean {
    if (this.peek().kind !== kind) return false;
    this.index++;
    return true;
  }

  private expect(kind: TokenKind, what: string): Token {
    const token = this.peek();
    if (token.kind !== kind) throw new SqlFilterError(`expected ${what} but found ${describe(token)}`, token.position);
    this.index++;
    return token;
  }
}

/** Apache reads decimals as Long (refusing anything beyond) and keeps those that fit 32 bits as Integer. */
function decimalValue(token: Token): number | bigint {
  const value = BigInt(token.text.replace(/[lL]$/, ''));
  if (value > LONG_MAX) throw new SqlFilterError(`${token.text} does not fit a 64-bit long`, token.position);
  return value <= INTEGER_MAX ? Number(value) : value;
}

/** Apache refuses a float literal that overflows, and, comparing with Double.MIN_VALUE, one that is 0. */
function floatValue(token: Token): JavaDouble {
  const value = Number(token.text);
  if (value === Infinity) throw new SqlFilterError(`${token.text} does not fit a double`, token.position);
  if (value < Number.MIN_VALUE) throw new SqlFilterError(`${token.text} is below the smallest positive double (Apache refuses 0.0 too)`, token.position);
  return new JavaDouble(value);
}

function describe(token: Token): string {
  return token.kind === 'end' ? 'the end of the expression' : `'${token.text}'`;
}

function tooDeep(position: number): SqlFilterError {
  return new SqlFilterError(`nested deeper than ${MAX_NESTING} levels`, position);
}
