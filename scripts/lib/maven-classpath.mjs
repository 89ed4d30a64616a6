// Resolves Java artifacts and their dependencies from Maven Central into one folder of jars, for running Apache
// Pulsar, pulsar-perf and Apache RocketMQ from their published artifacts. The generated pom imports the project's
// own parent pom as a BOM: it pins every third-party version, so Maven's nearest-wins resolution cannot mix
// versions that fail at start. Versions are tried in order, each into a side folder, so one that does not resolve
// leaves a working folder as it was. Idempotent: a folder already resolved at one of the versions is kept.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @param {{ name: string, home: string, lib: string, versions: string[],
 *   bom: { groupId: string, artifactId: string }, dependencies: (version: string) => string,
 *   log?: (line: string) => void }} o  `dependencies` returns the <dependency> elements for a version.
 * @returns {{ version: string, jars: number, bytes: number, seconds: number, cached: boolean,
 *   tried: { version: string, ok: boolean, seconds: number, error?: string }[] }}
 */
export function resolveClasspath({ name, home, lib, versions, bom, dependencies, log = (l) => console.log(l) }) {
  const marker = join(lib, '.resolved.json');
  if (existsSync(marker)) {
    const done = JSON.parse(readFileSync(marker, 'utf8'));
    if (versions.includes(done.version)) return { ...done, ...jarStats(lib), seconds: 0, cached: true, tried: [] };
  }
  mkdirSync(home, { recursive: true });
  const tried = [];
  for (const version of versions) {
    const staging = `${lib}.partial`;
    rmSync(staging, { recursive: true, force: true });
    writeFileSync(join(home, 'pom.xml'), `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>rop</groupId>
  <artifactId>${name}</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencyManagement>
    <dependencies>
      <dependency><groupId>${bom.groupId}</groupId><artifactId>${bom.artifactId}</artifactId><version>${version}</version><type>pom</type><scope>import</scope></dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
${dependencies(version)}
  </dependencies>
</project>
`);
    log(`${name}: resolving ${version} from Maven Central into ${lib}`);
    const started = Date.now();
    const r = spawnSync('mvn', ['-q', '-B', 'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime'], {
      cwd: home, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024,
    });
    const seconds = (Date.now() - started) / 1000;
    if (r.error || r.status !== 0) {
      const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.replace(/\x1b\[[0-9;]*m/g, '');
      const error = r.error?.message ?? output.split('\n').filter((l) => /^\[ERROR\] \S/.test(l)).slice(0, 3).join(' | ').slice(0, 600);
      log(`${name}: ${version} did not resolve (${seconds.toFixed(0)} s): ${error || `exit ${r.status}`}`);
      tried.push({ version, ok: false, seconds, error });
      rmSync(staging, { recursive: true, force: true });
      continue;
    }
    tried.push({ version, ok: true, seconds });
    rmSync(lib, { recursive: true, force: true });
    renameSync(staging, lib);
    const done = { version, ...jarStats(lib), at: new Date().toISOString() };
    writeFileSync(marker, JSON.stringify(done, null, 2));
    log(`${name}: ${version}: ${done.jars} jars, ${(done.bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(0)} s`);
    return { ...done, seconds, cached: false, tried };
  }
  throw new Error(`${name}: none of ${versions.join(', ')} could be resolved from Maven Central (a JDK 17 and Maven are needed): ${tried.map((t) => `${t.version}: ${t.error}`).join('; ')}`);
}

function jarStats(dir) {
  const jars = readdirSync(dir).filter((f) => f.endsWith('.jar'));
  return { jars: jars.length, bytes: jars.reduce((n, f) => n + statSync(join(dir, f)).size, 0) };
}
