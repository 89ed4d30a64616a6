// SQL92 expressions covering Apache RocketMQ's filter grammar, each with what it selects among the messages of a
// harness `produce --filter-props --tags TagA,TagB,TagC` run, worked out by hand from the properties message i
// carries (filterProps in java-harness.ts), with Apache's three-valued logic for the missing property d.
export const FILTER_TAGS = ['TagA', 'TagB', 'TagC'];
export const FILTERED_COUNT = 1000;
const TAGS = FILTER_TAGS;

/** Each expression with the messages it selects; where Apache's logic yields unknown, a message is not selected. */
export const SQL_CASES: Array<[string, (i: number) => boolean]> = [
  ['a > 5', (i) => i % 10 > 5],
  ['a BETWEEN 2 AND 4', (i) => i % 10 >= 2 && i % 10 <= 4],
  ["b IN ('s1', 's3')", (i) => i % 7 === 1 || i % 7 === 3],
  ['d IS NULL', (i) => i % 3 === 0],
  ['d IS NOT NULL AND d >= 2', (i) => i % 3 !== 0 && i % 4 >= 2],
  // unknown OR true is true, unknown OR false unknown
  ['d > 1 OR a = 0', (i) => (i % 3 !== 0 && i % 4 > 1) || i % 10 === 0],
  // NOT unknown is unknown
  ['NOT (d = 1)', (i) => i % 3 !== 0 && i % 4 !== 1],
  ["c <= 1.0 AND TAGS = 'TagA'", (i) => (i % 5) * 0.5 <= 1 && TAGS[i % 3] === 'TagA'],
  ["a NOT BETWEEN 3 AND 8 AND b NOT IN ('s2', 's4')", (i) => (i % 10 < 3 || i % 10 > 8) && i % 7 !== 2 && i % 7 !== 4],
  ["(a < 3 OR a >= 8) AND NOT (TAGS = 'TagC') AND b <> 's0' AND c > 0.7", (i) => (i % 10 < 3 || i % 10 >= 8) && TAGS[i % 3] !== 'TagC' && i % 7 !== 0 && (i % 5) * 0.5 > 0.7],
];

/** The indexes among `count` messages that `pick` selects. */
export const selected = (pick: (i: number) => boolean, count = FILTERED_COUNT): number[] => Array.from({ length: count }, (_, i) => i).filter(pick);
