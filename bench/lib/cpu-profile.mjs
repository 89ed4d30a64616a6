// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, heaviest first, as shares of the time the
// process was busy (idle samples are left out); and self time per line of the project's own code, which names the
// one costly expression inside a function (a per-message object spread was found that way).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * @returns {{busyMs: number, top: {fn: string, where: string, selfMs: number, share: number}[],
 *   lines: {fn: string, where: string, selfMs: number, share: number}[]}}
 */
export function summariseCpuProfile(file, { root = process.cwd(), limit = 25, lineLimit = 15 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfMicros = new Map();
  let busySamples = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
    if (byId.get(id).callFrame.functionName !== '(idle)') busySamples++;
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
  const heaviest = (byKey, n) => [...byKey].sort((a, b) => b[1] - a[1]).slice(0, n).map(([key, micros]) => {
    const [fn, where] = key.split('\t');
    return { fn, where, selfMs: micros / 1000, share: micros / total };
  });
  return { busyMs: total / 1000, top: heaviest(byFunction, limit), lines: heaviest(ownLines(profile, root, busySamples > 0 ? total / busySamples : 0), lineLimit) };
}

/** Self time per source line of the project's compiled code (not node_modules), from each node's line ticks. */
function ownLines(profile, root, microsPerTick) {
  const byLine = new Map();
  for (const n of profile.nodes) {
    const url = n.callFrame.url.startsWith('file://') ? relative(root, n.callFrame.url.slice(7)) : '';
    if (!url.startsWith('dist/')) continue;
    for (const t of n.positionTicks ?? []) {
      const key = `${n.callFrame.functionName || '(anonymous)'}\t${url}:${t.line}`;
      byLine.set(key, (byLine.get(key) ?? 0) + t.ticks * microsPerTick);
    }
  }
  return byLine;
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
