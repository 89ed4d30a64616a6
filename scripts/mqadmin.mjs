// Apache RocketMQ's own admin tool, `mqadmin`, run from the rocketmq-tools artifact on Maven Central (no distribution
// zip), to check the gateway answers it. Usage:
//   node scripts/mqadmin.mjs resolve                 resolve the jars only (npm test does this via java-peers.mjs)
//   node scripts/mqadmin.mjs <command> [options]     e.g. node scripts/mqadmin.mjs topicList -n 127.0.0.1:9876
// MQADMIN_VERSION (5.5.0) picks the artifact version; MQADMIN_HOME (.cache/mqadmin) holds the generated pom, lib/
// (the jars), the tool's ROCKETMQ_HOME and its client logs, so nothing is written to the user's ~/logs.
// The tool prints errors and exits 0, so callers must read what it printed.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveClasspath } from './lib/maven-classpath.mjs';

const VERSION = process.env.MQADMIN_VERSION ?? '5.5.0';
const home = resolve(process.env.MQADMIN_HOME ?? join('.cache', 'mqadmin'));
const lib = join(home, 'lib');
const MAIN_CLASS = 'org.apache.rocketmq.tools.command.MQAdminStartup';

/** Resolves rocketmq-tools and its runtime dependencies into `lib` (cached by a marker file). */
export function resolveMqadmin(log = (line) => console.log(line)) {
  return resolveClasspath({
    name: 'mqadmin', home, lib, versions: [VERSION], log,
    bom: { groupId: 'org.apache.rocketmq', artifactId: 'rocketmq-all' },
    dependencies: (v) => `    <dependency><groupId>org.apache.rocketmq</groupId><artifactId>rocketmq-tools</artifactId><version>${v}</version></dependency>`,
  });
}

/** The java command line that runs `mqadmin args…`. */
export function mqadminCommand(args) {
  const rocketmqHome = join(home, 'rocketmq-home');
  const logs = join(home, 'logs');
  mkdirSync(join(rocketmqHome, 'conf'), { recursive: true });
  mkdirSync(logs, { recursive: true });
  return {
    command: 'java',
    args: [
      // A short-lived CLI: small heap, no JIT tiers beyond C1, so each run starts in about a second.
      '-Xms64m', '-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC',
      `-Drocketmq.home.dir=${rocketmqHome}`, `-Drocketmq.client.logRoot=${logs}`, `-Duser.home=${home}`,
      '-cp', `${lib}/*`, MAIN_CLASS, ...args,
    ],
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [command, ...rest] = process.argv.slice(2);
  if (!command) {
    console.error('usage: node scripts/mqadmin.mjs resolve | <mqadmin command> [options]');
    process.exit(2);
  }
  try {
    resolveMqadmin(command === 'resolve' ? undefined : (line) => console.error(line));
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
  if (command !== 'resolve') {
    const { command: java, args } = mqadminCommand([command, ...rest]);
    const r = spawnSync(java, args, { stdio: 'inherit' });
    process.exit(r.status ?? 1);
  }
}
