import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { repoRoot } from '../../support/gateway.js';
import { regenerated } from '../../support/readme-tables.js';

// ROP_UPDATE_README=1 rewrites the README's generated tables instead of failing on a difference.
test('the README\'s request-header and error tables are what the declarations and boundary tables say', () => {
  const path = `${repoRoot}/README.md`;
  const readme = readFileSync(path, 'utf8');
  const expected = regenerated(readme);
  if (process.env.ROP_UPDATE_README === '1') writeFileSync(path, expected);
  // A plain comparison: assert's diff of two whole READMEs takes minutes.
  else assert.ok(readme === expected, 'README tables are stale: run this test with ROP_UPDATE_README=1 and commit the README');
});
