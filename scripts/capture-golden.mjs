// Records the frames a real RocketMQ client sends, through a TCP proxy in front of a gateway, into
// test/fixtures/golden-<client>/ with a manifest. For humans to re-run after `npm run build`; CI does not.
// Usage: node scripts/capture-golden.mjs ali-ons     (JSON headers, the ali-ons npm client)
//        node scripts/capture-golden.mjs java        (ROCKETMQ binary headers, Apache's Java client via the harness)
import { createServer, connect } from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { decodeCommand } from '../dist/src/remoting/header-codec.js';

const client = process.argv[2];
const drivers = { 'ali-ons': driveAliOns, java: driveJava };
if (!drivers[client]) {
  console.error(`usage: node scripts/capture-golden.mjs ${Object.keys(drivers).join('|')}`);
  process.exit(2);
}
const outDir = join('test', 'fixtures', `golden-${client}`);
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

let gatewayPort;
const proxy = createServer((socket) => {
  const upstream = connect({ host: '127.0.0.1', port: gatewayPort });
  const up = splitter('client->server');
  const down = splitter('server->client');
  socket.on('data', (d) => { up(d); upstream.write(d); });
  upstream.on('data', (d) => { down(d); socket.write(d); });
  socket.on('close', () => upstream.destroy());
  upstream.on('close', () => socket.destroy());
  socket.on('error', () => {});
  upstream.on('error', () => {});
});
await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
const proxyPort = proxy.address().port;
const dataDir = mkdtempSync(join(tmpdir(), 'rop-capture-'));
// Routes advertise the proxy, so broker traffic is recorded too.
const gw = spawn(process.execPath, ['dist/src/cli.js', '--port', '0', '--http-port', '0', '--grpc-port', '0', '--data-dir', dataDir, '--advertised-address', `127.0.0.1:${proxyPort}`], { stdio: ['ignore', 'pipe', 'inherit'] });
gatewayPort = await new Promise((resolve) => createInterface({ input: gw.stdout }).on('line', (l) => {
  try { const r = JSON.parse(l); if (r.msg === 'rop listening') resolve(r.port); } catch { /* not JSON */ }
}));

const { producedBy, consumed } = await drivers[client](`127.0.0.1:${proxyPort}`, dataDir);
gw.kill('SIGTERM');
await new Promise((r) => gw.once('exit', r));
proxy.close();
rmSync(dataDir, { recursive: true, force: true });

// Keep the first frame of each (kind, code) the client sent: the gateway's own answers would only test
// our encoder against itself. Our decoder is used here to name the frames, never to make expected values.
const requests = new Map();
const seen = new Set();
const manifest = [];
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
for (const f of frames) {
  const header = decodeCommand(f.bytes.subarray(4));
  const isResponse = (header.flag & 1) === 1;
  if (!isResponse) requests.set(`${f.direction}:${header.opaque}`, header.code);
  const reqDir = f.direction === 'client->server' ? 'server->client' : 'client->server';
  const code = isResponse ? requests.get(`${reqDir}:${header.opaque}`) : header.code;
  const key = `${isResponse}:${code}`;
  if (f.direction !== 'client->server' || seen.has(key)) continue;
  seen.add(key);
  const file = `${String(manifest.length).padStart(2, '0')}-${isResponse ? 'response' : 'request'}-${code}.hex`;
  writeFileSync(join(outDir, file), f.bytes.toString('hex') + '\n');
  manifest.push({ file, producedBy, direction: f.direction, requestCode: code, response: isResponse, serializeType: f.bytes.readUInt32BE(4) >>> 24, opaque: header.opaque, flag: header.flag });
}
writeFileSync(join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`wrote ${manifest.length} frames to ${outDir} (message consumed: ${consumed})`);
process.exit(0);

async function driveAliOns(ns, dir) {
  const require = createRequire(import.meta.url);
  const { Producer, Consumer, Message } = require('ali-ons');
  const producer = new Producer({ producerGroup: 'GoldenPG', nameSrv: ns, httpclient: {}, accessKeyId: 'k', accessKeySecret: 's' });
  await producer.ready();
  const msg = new Message('GoldenTopic', 'TagA', 'Hello golden');
  msg.keys = ['key-1'];
  await producer.send(msg);
  const consumer = new Consumer({ consumerGroup: 'GoldenCG', nameSrv: ns, httpclient: {}, accessKeyId: 'k', accessKeySecret: 's', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', storePath: join(dir, 'ali-ons') });
  let got = 0;
  consumer.subscribe('GoldenTopic', 'TagA', async () => { got++; });
  await consumer.ready();
  const t0 = Date.now();
  while (got < 1 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 200));
  await consumer.close();
  await producer.close();
  return { producedBy: 'ali-ons 3.12.0', consumed: got === 1 };
}

async function driveJava(ns) {
  const jar = join('test', 'harness', 'java', 'target', 'rop-java-harness.jar');
  const common = ['-jar', jar];
  // Asynchronously: the proxy in this process must keep forwarding while the client runs.
  const produce = spawn('java', [...common, 'produce', '--namesrv', ns, '--topic', 'GoldenTopic', '--count', '1', '--mode', 'sync', '--tags', 'TagA', '--serialize', 'ROCKETMQ'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const status = await new Promise((r) => produce.once('exit', r));
  if (status !== 0) throw new Error(`harness produce exited with ${status}`);
  const consume = spawn('java', [...common, 'lite-pull', '--namesrv', ns, '--topic', 'GoldenTopic', '--group', 'GoldenCG', '--serialize', 'ROCKETMQ', '--timeout-ms', '20000'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const consumed = await new Promise((resolve) => {
    createInterface({ input: consume.stdout }).on('line', (l) => { if (l.includes('"event":"msg"')) resolve(true); });
    consume.once('exit', () => resolve(false));
  });
  // Let a heartbeat and an offset commit go by before stopping.
  await new Promise((r) => setTimeout(r, 6000));
  consume.stdin.end();
  await new Promise((r) => consume.once('exit', r));
  return { producedBy: 'rocketmq-client 4.9.8 (Java, ROCKETMQ serialization)', consumed };
}
