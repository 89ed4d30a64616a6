// The benchmark's workloads. messages/warmup are message counts per run (the batch workloads send them in
// requests of `batch`); `quick` marks the ones `npm run bench -- --quick` runs, with the quick counts.
// A consume workload drains, with a new consumer group, the backlog its `from` workload left in the same round.
// `protocol` picks the targets and load generator: remoting (the 4.x protocol: rop and Apache's broker, and the
// Pulsar pair) or grpc (RocketMQ 5's MessagingService: rop's gRPC endpoint and Apache's proxy, driven by the 5.x client).

const produce = (id, title, size, threads, batch, messages, warmup, quick = false) =>
  ({ id, title, kind: 'produce', protocol: 'remoting', size, threads, batch, messages, warmup, quick });
const together = (id, title, size, threads, batch, messages, warmup, quick = false) =>
  ({ id, title, kind: 'produce+consume', protocol: 'remoting', size, threads, batch, messages, warmup, quick });
const consume = (id, title, from, size, batch, quick = false) =>
  ({ id, title, kind: 'consume', protocol: 'remoting', from, size, threads: 1, batch, messages: {}, warmup: {}, quick });
const grpc = (w) => ({ ...w, protocol: 'grpc' });

export const WORKLOADS = [
  produce('produce-1k-1t', 'Produce 1 KB, 1 thread', 1024, 1, 1, { full: 6_000 }, { full: 1_000 }),
  produce('produce-1k-16t', 'Produce 1 KB, 16 threads', 1024, 16, 1, { quick: 15_000, full: 40_000 }, { quick: 3_000, full: 5_000 }, true),
  consume('consume-1k', 'Consume 1 KB from a backlog', 'produce-1k-16t', 1024, 1, true),
  together('produce-consume-1k-1t', 'Produce and consume 1 KB, 1 thread', 1024, 1, 1, { full: 6_000 }, { full: 1_000 }),
  together('produce-consume-1k-16t', 'Produce and consume 1 KB, 16 threads', 1024, 16, 1, { quick: 10_000, full: 40_000 }, { quick: 2_000, full: 5_000 }, true),
  produce('produce-64b-1t', 'Produce 64 B, 1 thread', 64, 1, 1, { full: 6_000 }, { full: 1_000 }),
  produce('produce-64b-16t', 'Produce 64 B, 16 threads', 64, 16, 1, { full: 40_000 }, { full: 5_000 }),
  consume('consume-64b', 'Consume 64 B from a backlog', 'produce-64b-16t', 64, 1),
  together('produce-consume-64b-1t', 'Produce and consume 64 B, 1 thread', 64, 1, 1, { full: 6_000 }, { full: 1_000 }),
  together('produce-consume-64b-16t', 'Produce and consume 64 B, 16 threads', 64, 16, 1, { full: 40_000 }, { full: 5_000 }),
  produce('batch-1k-1t', 'Produce batches of 16 × 1 KB, 1 thread', 1024, 1, 16, { full: 32_000 }, { full: 4_000 }),
  produce('batch-1k-16t', 'Produce batches of 16 × 1 KB, 16 threads', 1024, 16, 16, { full: 128_000 }, { full: 16_000 }),
  consume('consume-batch-1k', 'Consume 1 KB sent in batches, from a backlog', 'batch-1k-16t', 1024, 16),
  together('produce-consume-batch-1k-1t', 'Produce batches of 16 × 1 KB and consume, 1 thread', 1024, 1, 16, { full: 32_000 }, { full: 4_000 }),
  together('produce-consume-batch-1k-16t', 'Produce batches of 16 × 1 KB and consume, 16 threads', 1024, 16, 16, { full: 128_000 }, { full: 16_000 }),
  grpc(produce('grpc-produce-1k-16t', 'gRPC: produce 1 KB, 16 threads', 1024, 16, 1, { quick: 6_000, full: 40_000 }, { quick: 1_000, full: 5_000 }, true)),
  grpc(consume('grpc-consume-1k', 'gRPC: consume 1 KB from a backlog (PushConsumer)', 'grpc-produce-1k-16t', 1024, 1)),
  grpc(together('grpc-produce-consume-1k-16t', 'gRPC: produce and consume 1 KB, 16 threads (PushConsumer)', 1024, 16, 1, { full: 40_000 }, { full: 5_000 })),
];
