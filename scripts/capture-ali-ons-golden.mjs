// Records the frames real ali-ons sends through a TCP proxy in front of a gateway and writes
// each frame to test/fixtures/golden-ali-ons/ with a manifest. For humans to re-run; CI does not.
// Usage: npm run build && node scripts/capture-ali-ons-golden.mjs
import { createServer, connect } from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);
const { Producer, Consumer, Message } = require('ali-ons');
const outDir = join('test', 'fixtures', 'golden-ali-ons');
const frames = [];

function splitter(direction) {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
      const len = buf.readUInt32BE(0);
      frames.push({ direction, bytes: buf.subarray(0, 4 + len) });
      buf = buf.subarray(4 + len);
    }
  };
}

const proxy = createServer((client) => {
  const upstream = connect({ host: '127.0.0.1', port: gatewayPort });
  const up = splitter('client->server');
  const down = splitter('server->client');
  client.on('data', (d) => { up(d); upstream.write(d); });
  upstream.on('data', (d) => { down(d); client.write(d); });
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.on('error', () => {});
  upstream.on('error', () => {});
});
await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
const proxyPort = proxy.address().port;
let gatewayPort;
const dataDir = mkdtempSync(join(tmpdir(), 'rop-capture-'));
const gw = spawn(process.execPath, ['dist/src/cli.js', '--port', '0', '--data-dir', dataDir, '--advertised-address', `127.0.0.1:${proxyPort}`], { stdio: ['ignore', 'pipe', 'inherit'] });
gatewayPort = await new Promise((resolve) => createInterface({ input: gw.stdout }).on('line', (l) => {
  try { const r = JSON.parse(l); if (r.msg === 'rop listening') resolve(r.port); } catch { /* not JSON */ }
}));

const ns = `127.0.0.1:${proxyPort}`;
const producer = new Producer({ producerGroup: 'GoldenPG', nameSrv: ns, httpclient: {}, accessKeyId: 'k', accessKeySecret: 's' });
await producer.ready();
const msg = new Message('GoldenTopic', 'TagA', 'Hello golden');
msg.keys = ['key-1'];
msg.setProperty?.('color', 'blue');
await producer.send(msg);
const consumer = new Consumer({ consumerGroup: 'GoldenCG', nameSrv: ns, httpclient: {}, accessKeyId: 'k', accessKeySecret: 's', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', storePath: join(dataDir, 'ali-ons') });
let got = 0;
consumer.subscribe('GoldenTopic', 'TagA', async () => { got++; });
await consumer.ready();
const t0 = Date.now();
while (got < 1 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 200));
await consumer.close();
await producer.close();
gw.kill('SIGTERM');
proxy.close();
rmSync(dataDir, { recursive: true, force: true });

// Keep the first frame of each (direction, code) so the fixture set stays small.
const requests = new Map();
const seen = new Set();
const manifest = [];
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
for (const f of frames) {
  const word = f.bytes.readUInt32BE(4);
  const serializeType = word >>> 24;
  const header = JSON.parse(f.bytes.subarray(8, 8 + (word & 0xffffff)).toString());
  const isResponse = (header.flag & 1) === 1;
  if (!isResponse) requests.set(`${f.direction}:${header.opaque}`, header.code);
  const reqDir = f.direction === 'client->server' ? 'server->client' : 'client->server';
  const code = isResponse ? requests.get(`${reqDir}:${header.opaque}`) : header.code;
  // Only the client's bytes are golden: the gateway's own answers would test our encoder against itself.
  const key = `${isResponse}:${code}`;
  if (f.direction !== 'client->server' || seen.has(key)) continue;
  seen.add(key);
  const file = `${String(manifest.length).padStart(2, '0')}-${isResponse ? 'response' : 'request'}-${code}.hex`;
  writeFileSync(join(outDir, file), f.bytes.toString('hex') + '\n');
  manifest.push({ file, producedBy: 'ali-ons 3.12.0', direction: f.direction, requestCode: code, response: isResponse, serializeType, opaque: header.opaque, flag: header.flag });
}
writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`wrote ${manifest.length} frames to ${outDir} (message consumed: ${got === 1})`);
process.exit(0);
