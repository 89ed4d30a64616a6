// Builds the Go peer the tests drive:
//   test/harness/go4 → bin/rop-go4-harness   (Apache RocketMQ's Go client v2, 4.x remoting protocol, end-to-end tests)
// `go build` fetches the client through the Go module proxy into Go's own module cache (~/go/pkg/mod), checked
// against the committed go.sum. Skipped when the binary is newer than go.mod, go.sum and every .go file.
// Usage: node scripts/go-peers.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

const dir = join('test', 'harness', 'go4');
const binary = join(dir, 'bin', 'rop-go4-harness');

/** Go as installed here (/usr/local/go/bin may be missing from PATH, as under CI), else whatever PATH has. */
const go = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';

const inputs = Math.max(
  ...['go.mod', 'go.sum'].map((f) => statSync(join(dir, f)).mtimeMs),
  ...readdirSync(dir).filter((f) => f.endsWith('.go')).map((f) => statSync(join(dir, f)).mtimeMs),
);
if (existsSync(binary) && statSync(binary).mtimeMs >= inputs) {
  console.log(`go peers: ${binary} is up to date`);
  process.exit(0);
}
const started = Date.now();
const r = spawnSync(go, ['build', '-trimpath', '-o', join('bin', 'rop-go4-harness'), '.'], { cwd: dir, stdio: 'inherit' });
if (r.error?.code === 'ENOENT') {
  console.error('go peers: Go is not installed (no /usr/local/go/bin/go, no go on PATH); install Go 1.19 or newer (apt-get install golang-go)');
  process.exit(1);
}
if (r.error || r.status !== 0) {
  console.error(`go peers: "go build" in ${dir} failed (${r.error?.message ?? `exit ${r.status}`})`);
  process.exit(1);
}
// go build leaves an output that was already up to date untouched (an input touched but not changed); mark it current.
const now = new Date();
utimesSync(binary, now, now);
console.log(`go peers: built ${binary} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
