// Builds the Java peers the end-to-end tests drive: the harness around Apache RocketMQ's Java client
// (test/harness/java → target/rop-java-harness.jar). Maven fetches the client from Maven Central into ~/.m2.
// Skips the build when the jar is newer than the pom and every source file. Usage: node scripts/java-peers.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const harness = join('test', 'harness', 'java');
const jar = join(harness, 'target', 'rop-java-harness.jar');

function newestInput(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestInput(p) : s.mtimeMs);
  }
  return newest;
}

const inputs = Math.max(statSync(join(harness, 'pom.xml')).mtimeMs, newestInput(join(harness, 'src')));
if (existsSync(jar) && statSync(jar).mtimeMs >= inputs) {
  console.log(`java peers: ${jar} is up to date`);
  process.exit(0);
}
const started = Date.now();
const r = spawnSync('mvn', ['-q', '-B', 'package', '-DskipTests'], { cwd: harness, stdio: 'inherit' });
if (r.error || r.status !== 0) {
  console.error(`java peers: "mvn package" in ${harness} failed (${r.error?.message ?? `exit ${r.status}`}); a JDK 17 and Maven are needed`);
  process.exit(1);
}
console.log(`java peers: built ${jar} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
