// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, heaviest first, as shares of the time the
// process was busy (idle samples are left out).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** @returns {{busyMs: number, top: {fn: string, where: string, selfMs: number, share: number}[]}} */
export function summariseCpuProfile(file, { root = process.cwd(), limit = 25 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMicros = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byFunction = new Map();
  let total = 0;
  for (const [id, micros] of selfMicros) {
    const { callFrame: f } = byId.get(id);
    if (f.functionName === '(idle)') continue;
    const url = f.url.startsWith('file://') ? relative(root, f.url.slice(7)) : f.url;
    const key = `${f.functionName || '(anonymous)'}\t${url ? `${url}:${f.lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
    total += micros;
  }
  const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([key, micros]) => {
    const [fn, where] = key.split('\t');
    return { fn, where, selfMs: micros / 1000, share: micros / total };
  });
  return { busyMs: total / 1000, top };
}

/** The heaviest functions of each gateway's CPU profile (written under `dir`/<name> when it exited). */
export function gatewayProfiles(gateways, { root, dir: profileDir, log }) {
  return gateways.flatMap((g) => {
    const dir = join(profileDir, g.name);
    const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) : undefined;
    if (!file) {
      log(`no CPU profile from ${g.label} in ${dir}`);
      return [];
    }
    return [{ label: g.label, file: relative(root, join(dir, file)), ...summariseCpuProfile(join(dir, file), { root }) }];
  });
}
