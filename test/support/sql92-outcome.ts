// Observing an SQL92 filter's outcome through its public API, for the sql92 unit tests.
import assert from 'node:assert/strict';
import { compileSql92, SqlFilterError } from '../../src/protocol/sql92/index.js';

export type Properties = Record<string, string>;
/** What Apache's evaluate() returns: TRUE, FALSE, null (UNKNOWN), or an exception (ERROR). */
export type Outcome = 'TRUE' | 'FALSE' | 'UNKNOWN' | 'ERROR';
export type Case = readonly [expression: string, properties: Properties, expected: Outcome];

export function lookup(properties: Properties): (name: string) => string | undefined {
  const values = new Map(Object.entries(properties));
  return (name) => values.get(name);
}

export function matches(expression: string, properties: Properties = {}): boolean {
  return compileSql92(expression).matches(lookup(properties));
}

/** Tells the four outcomes apart: IS NULL is TRUE only for unknown, NOT is TRUE only for FALSE, and neither survives an error. */
export function outcome(expression: string, properties: Properties = {}): Outcome {
  if (matches(expression, properties)) return 'TRUE';
  if (matches(`(${expression}) IS NULL`, properties)) return 'UNKNOWN';
  return matches(`NOT (${expression})`, properties) ? 'FALSE' : 'ERROR';
}

export function check(cases: readonly Case[]): void {
  for (const [expression, properties, expected] of cases) {
    assert.equal(outcome(expression, properties), expected, `${expression} with ${JSON.stringify(properties)}`);
  }
}

export function rejects(expression: string, position?: number): void {
  assert.throws(
    () => compileSql92(expression),
    (err: unknown) => {
      assert.ok(err instanceof SqlFilterError, `${expression}: ${String(err)}`);
      if (position !== undefined) assert.equal(err.position, position, `${expression}: ${err.message}`);
      return true;
    },
  );
}
