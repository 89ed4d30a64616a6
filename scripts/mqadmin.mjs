// Apache RocketMQ's own admin tool, `mqadmin`, run from the rocketmq-tools artifact on Maven Central (no distribution
// zip), to check the gateway answers it. Usage:
//   node scripts/mqadmin.mjs resolve                 resolve the jars only (npm test does this via java-peers.mjs)
//   node scripts/mqadmin.mjs <command> [options]     e.g. node scripts/mqadmin.mjs topicList -n 127.0.0.1:9876
// MQADMIN_VERSION (5.5.0) picks the artifact version; MQADMIN_HOME (.cache/mqadmin) holds the generated pom, lib/
// (the jars), the tool's ROCKETMQ_HOME and its client logs, so nothing is written to the user's ~/logs.
// The tool prints errors and exits 0, so callers must read what it printed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveClasspath } from './lib/maven-classpath.mjs';

const VERSION = process.env.MQADMIN_VERSION ?? '5.5.0';
const home = resolve(process.env.MQADMIN_HOME ?? join('.cache', 'mqadmin'));
const lib = join(home, 'lib');
const classes = join(home, 'classes');
const MAIN_CLASS = 'RopMqadmin';
// mqadmin's JVM lingers about 3 s after a command is done, while Netty's event loops wait out their quiet
// period; this entry point runs the command, then exits at once.
const MAIN_SOURCE = `public final class RopMqadmin {
  public static void main(String[] args) {
    org.apache.rocketmq.tools.command.MQAdminStartup.main(args);
    System.out.flush();
    System.exit(0);
  }
}
`;

/** Resolves rocketmq-tools and its runtime dependencies into `lib` (cached by a marker file). */
export function resolveMqadmin(log = (line) => console.log(line)) {
  const resolved = resolveClasspath({
    name: 'mqadmin', home, lib, versions: [VERSION], log,
    bom: { groupId: 'org.apache.rocketmq', artifactId: 'rocketmq-all' },
    dependencies: (v) => `    <dependency><groupId>org.apache.rocketmq</groupId><artifactId>rocketmq-tools</artifactId><version>${v}</version></dependency>`,
  });
  if (!resolved.cached || !existsSync(join(classes, `${MAIN_CLASS}.class`))) {
    mkdirSync(classes, { recursive: true });
    const source = join(classes, `${MAIN_CLASS}.java`);
    writeFileSync(source, MAIN_SOURCE);
    const r = spawnSync('javac', ['-nowarn', '-cp', `${lib}/*`, '-d', classes, source], { encoding: 'utf8' });
    if (r.error || r.status !== 0) throw new Error(`mqadmin: javac failed (a JDK 17 is needed): ${r.error?.message ?? r.stderr}`);
  }
  return resolved;
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
      '-cp', `${classes}:${lib}/*`, MAIN_CLASS, ...args,
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
