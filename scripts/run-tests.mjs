// Runs the compiled node:test suites. `node --test` on Node 20 takes no globs, so the files are listed here.
// Usage: node scripts/run-tests.mjs [unit|e2e|all|pulsar|pulsar-secure|limits] [file filter]   (default: all)
// `pulsar` runs the Pulsar client suites, the whole e2e suite again with the gateway on the Pulsar
// store (ROP_TEST_STORE=pulsar), and last the fault suites that restart Pulsar; it needs `npm run pulsar:start`.
// `pulsar-secure` runs the suites against the TLS- and token-secured standalone of `node scripts/pulsar.mjs start --secure`.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const which = process.argv[2] ?? 'all';
const roots = which === 'all' ? ['unit', 'e2e'] : which === 'pulsar' ? ['pulsar', 'e2e', 'pulsar-faults'] : [which];
const filter = process.argv[3];
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && (!filter || p.includes(filter))) files.push(p);
  }
};
for (const r of roots) {
  try { walk(join('dist', 'test', r)); } catch { /* a room with no tests yet */ }
}
if (files.length === 0) {
  console.error(`no compiled tests found under dist/test/{${roots.join(',')}}; run npm run build first`);
  process.exit(1);
}
// One file at a time: e2e suites start gateways and Java clients, and this machine has two cores.
// --test-force-exit: a finished file's process ends even if a client library left a timer behind (the RocketMQ 5
// Node push consumer keeps one running after its shutdown); gateways run as child processes, so this hides none of ours.
// --test-timeout: a test that sets no timeout of its own fails after 5 minutes instead of holding up the whole run.
const r = spawnSync(process.execPath, ['--test', '--test-force-exit', '--test-concurrency=1', '--test-timeout=300000', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: which === 'pulsar' ? { ...process.env, ROP_TEST_STORE: 'pulsar' } : process.env,
});
process.exit(r.status ?? 1);
