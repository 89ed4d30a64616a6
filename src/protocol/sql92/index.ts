// Apache RocketMQ's SQL92 message filter (the broker's SqlFilter), compiled once per subscription and evaluated
// per message against the message's properties, where TAGS, KEYS and the user's properties are all Strings.
import { EVALUATION_FAILED } from './java-values.js';
import { SqlFilterError } from './sql-error.js';
import { compileEvaluator } from './sql-evaluator.js';
import { parseSql92 } from './sql-parser.js';

export { SqlFilterError };

/** Apache sets no bound; this one keeps a hostile subscription from costing much to parse or to evaluate. */
export const MAX_EXPRESSION_LENGTH = 4096;

export interface SqlFilter {
  readonly expression: string;
  /** true only when the expression evaluates to TRUE (FALSE, NULL/unknown and evaluation errors are no match) */
  matches(property: (name: string) => string | undefined): boolean;
}

/** Parses once; the result is evaluated per message. Throws SqlFilterError. */
export function compileSql92(expression: string): SqlFilter {
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new SqlFilterError(`longer than ${MAX_EXPRESSION_LENGTH} characters`, MAX_EXPRESSION_LENGTH);
  }
  if (expression.trim() === '') throw new SqlFilterError('the expression is empty', 0);
  const evaluate = compileEvaluator(parseSql92(expression));
  return {
    expression,
    matches(property) {
      try {
        return evaluate(property) === true;
      } catch (err) {
        // Apache's broker logs the exception and does not deliver the message; anything else is a bug of ours.
        if (err === EVALUATION_FAILED) return false;
        throw err;
      }
    },
  };
}
