// The processes the bench measures: gateways of our own, Apache RocketMQ's broker (and proxy), Pulsar direct.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { waitForPort } from './wait-for-port.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `pid` and its children (Linux /proc): the primary of --workers and its workers. */
export function processTree(pid) {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return [pid, ...children];
  } catch {
    return [pid];
  }
}

/**
 * Target factories bound to one run: `root` of the checkout, `profileDir` when gateways run under --cpu-prof,
 * Apache RocketMQ's `rocketmq` ports and home with the `rocketmqEnv` its script takes, and the run's `log`.
 */
export function benchTargets({ root, profileDir, rocketmq: ROCKETMQ, rocketmqEnv, log }) {
  /** A gateway process of our own, on an empty data dir; with `grpcPort`, its gRPC endpoint is what is measured. */
  function gatewayTarget(name, label, port, { extraArgs = [], extraPids = () => ({}), grpcPort = 0 } = {}) {
    const dataDir = join(root, '.cache', 'bench', name);
    let child;
    return {
      name, label, kind: 'rocketmq', namesrv: `127.0.0.1:${port}`, broker: `127.0.0.1:${port}`,
      endpoints: grpcPort ? `127.0.0.1:${grpcPort}` : undefined,
      async start() {
        rmSync(dataDir, { recursive: true, force: true });
        mkdirSync(dataDir, { recursive: true });
        const profiling = profileDir ? ['--cpu-prof', '--cpu-prof-dir', join(profileDir, name)] : [];
        if (profileDir) rmSync(join(profileDir, name), { recursive: true, force: true });
        child = spawn(process.execPath, [...profiling, join(root, 'dist', 'src', 'cli.js'), '--port', String(port), '--http-port', '0', '--grpc-port', String(grpcPort), '--data-dir', dataDir, '--log-level', 'warn', ...extraArgs],
          { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
        await waitForPort(port, 30_000, label);
      },
      pids: () => ({ gateway: child.pid, ...extraPids() }),
      primaryPid: () => child.pid,
      async stop() {
        if (!child || child.exitCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        if (await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)])) return;
        log(`${label} did not stop within 15 s of SIGTERM; killing it`);
        child.kill('SIGKILL');
        await exited;
      },
    };
  }

  function rocketmqTarget() {
    const pidFile = join(ROCKETMQ.home, 'rocketmq.pid');
    return {
      name: 'rocketmq', label: `Apache RocketMQ ${ROCKETMQ.version}`, kind: 'rocketmq',
      namesrv: `127.0.0.1:${ROCKETMQ.namesrvPort}`, broker: `127.0.0.1:${ROCKETMQ.brokerPort}`,
      async start() {
        spawnSync(process.execPath, [join(root, 'scripts', 'rocketmq.mjs'), 'stop'], { cwd: root, env: rocketmqEnv, stdio: 'ignore' });
        const r = spawnSync(process.execPath, [join(root, 'scripts', 'rocketmq.mjs'), 'start'], { cwd: root, env: rocketmqEnv, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`Apache RocketMQ did not start: ${r.stdout}`);
        log(r.stdout.trim());
      },
      pids() {
        const s = JSON.parse(readFileSync(pidFile, 'utf8'));
        return { broker: s.broker, namesrv: s.namesrv };
      },
      /** Apache's gRPC endpoint: the proxy scripts/rocketmq.mjs runs before this broker, which serves it. */
      proxy: {
        name: 'rocketmq-proxy', label: `Apache RocketMQ ${ROCKETMQ.version} proxy (cluster mode) + broker`, kind: 'rocketmq',
        namesrv: `127.0.0.1:${ROCKETMQ.namesrvPort}`, broker: `127.0.0.1:${ROCKETMQ.brokerPort}`, endpoints: `127.0.0.1:${ROCKETMQ.proxyGrpcPort}`,
        start: async () => {}, stop: async () => {},
        pids() {
          const s = JSON.parse(readFileSync(pidFile, 'utf8'));
          return { proxy: s.proxy, broker: s.broker, namesrv: s.namesrv };
        },
      },
      stop() {
        return new Promise((done) => {
          spawn(process.execPath, [join(root, 'scripts', 'rocketmq.mjs'), 'stop'], { cwd: root, env: rocketmqEnv, stdio: 'ignore' }).on('close', done);
        });
      },
    };
  }

  function pulsarPid() {
    return Number(readFileSync(join(root, '.cache', 'pulsar', 'pulsar.pid'), 'utf8'));
  }

  function pulsarRunning() {
    return spawnSync(process.execPath, [join(root, 'scripts', 'pulsar.mjs'), 'status'], { cwd: root, stdio: 'ignore' }).status === 0;
  }

  function pulsarPerfTarget(pulsarVersion) {
    return { name: 'pulsar', label: `Pulsar ${pulsarVersion} direct (pulsar-perf)`, kind: 'pulsar-perf', start: async () => {}, stop: async () => {}, pids: () => ({ pulsar: pulsarPid() }) };
  }

  return { gatewayTarget, rocketmqTarget, pulsarPid, pulsarRunning, pulsarPerfTarget };
}

/** Creates `topic` with `queues` queues on a RocketMQ target (UPDATE_AND_CREATE_TOPIC to its broker). */
export async function createRocketMQTopic(target, topic, queues) {
  const { connectRemoting } = await import('../../dist/src/remoting/remoting-client.js');
  const { createRequest } = await import('../../dist/src/remoting/remoting-command.js');
  const conn = await connectRemoting(target.broker);
  try {
    const res = await conn.invoke(createRequest(17, {
      topic, defaultTopic: 'TBW102', readQueueNums: String(queues), writeQueueNums: String(queues), perm: '6',
      topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false',
    }), 10_000);
    if (res.code !== 0) throw new Error(`creating ${topic} on ${target.label}: code ${res.code} ${res.remark ?? ''}`);
    // The name server learns of a new topic when the broker registers it; wait until it routes the topic.
    const ns = await connectRemoting(target.namesrv);
    try {
      for (let i = 0; i < 100; i++) {
        const route = await ns.invoke(createRequest(105, { topic }), 5000);
        if (route.code === 0) return;
        await sleep(100);
      }
      throw new Error(`the name server of ${target.label} never routed ${topic}`);
    } finally {
      ns.end();
    }
  } finally {
    conn.end();
  }
}
