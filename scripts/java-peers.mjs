// Builds the Java peers the tests drive, each a Maven module shaded into one runnable jar:
//   test/harness/java        → target/rop-java-harness.jar    (Apache RocketMQ's Java client, end-to-end tests)
//   test/harness/java5       → target/rop-java5-harness.jar   (Apache RocketMQ's 5.x Java client over gRPC, gRPC e2e tests)
//   test/harness/pulsar-java → target/rop-pulsar-harness.jar  (Apache Pulsar's Java client, Pulsar interop tests)
// Maven fetches the clients from Maven Central into ~/.m2. A module is skipped when its jar is newer than
// its pom and every source file. Also resolves Apache RocketMQ's mqadmin (scripts/mqadmin.mjs) for its e2e test.
// Usage: node scripts/java-peers.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { resolveMqadmin } from './mqadmin.mjs';

/** Sources every harness compiles in (test/harness/common: options, JSON-lines output, stdin). */
const commonSources = join('test', 'harness', 'common', 'src');
const peers = [
  { dir: join('test', 'harness', 'java'), jar: 'rop-java-harness.jar' },
  { dir: join('test', 'harness', 'java5'), jar: 'rop-java5-harness.jar' },
  { dir: join('test', 'harness', 'pulsar-java'), jar: 'rop-pulsar-harness.jar' },
];

function newestInput(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestInput(p) : s.mtimeMs);
  }
  return newest;
}

for (const { dir, jar: jarName } of peers) {
  const jar = join(dir, 'target', jarName);
  const inputs = Math.max(statSync(join(dir, 'pom.xml')).mtimeMs, newestInput(join(dir, 'src')), newestInput(commonSources));
  if (existsSync(jar) && statSync(jar).mtimeMs >= inputs) {
    console.log(`java peers: ${jar} is up to date`);
    continue;
  }
  const started = Date.now();
  const r = spawnSync('mvn', ['-q', '-B', 'package', '-DskipTests'], { cwd: dir, stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    console.error(`java peers: "mvn package" in ${dir} failed (${r.error?.message ?? `exit ${r.status}`}); a JDK 17 and Maven are needed`);
    process.exit(1);
  }
  console.log(`java peers: built ${jar} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

try {
  const r = resolveMqadmin();
  if (r.cached) console.log(`java peers: mqadmin ${r.version} is up to date`);
} catch (err) {
  console.error(`java peers: ${err.message}`);
  process.exit(1);
}
