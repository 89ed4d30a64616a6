// Runs one of Apache RocketMQ's own benchmark programs (org.apache.rocketmq.example.benchmark.Producer,
// BatchProducer or Consumer from rocketmq-example) unchanged, and measures it from the outside: the programs print
// only averages and maxima, so this registers a send hook on their producer (per-request latency) or a consume hook
// on their consumer (end-to-end latency from the message's born timestamp), stops once the asked count is reached
// and prints one JSON line of figures on stdout, prefixed with "RESULT ".
//
//   java -cp <classes>:<rocketmq-example lib>/* RocketMQBenchmarkMain producer|batch-producer|consumer
//        --count N [--warmup W] [--timeout-s S] -- <the program's own options>
//
// producer: N requests (the program's -q is set to N + W); batch-producer: N batch requests; consumer: stops after
// N + W messages. The first W requests/messages are left out of every figure (the JIT and connections warm up).
import java.lang.reflect.Field;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.rocketmq.client.hook.ConsumeMessageContext;
import org.apache.rocketmq.client.hook.ConsumeMessageHook;
import org.apache.rocketmq.client.hook.SendMessageContext;
import org.apache.rocketmq.client.hook.SendMessageHook;
import org.apache.rocketmq.client.impl.MQClientManager;
import org.apache.rocketmq.client.impl.consumer.DefaultMQPushConsumerImpl;
import org.apache.rocketmq.client.impl.consumer.MQConsumerInner;
import org.apache.rocketmq.client.impl.factory.MQClientInstance;
import org.apache.rocketmq.client.impl.producer.DefaultMQProducerImpl;
import org.apache.rocketmq.client.impl.producer.MQProducerInner;
import org.apache.rocketmq.common.message.MessageExt;

public class RocketMQBenchmarkMain {
  /** Latencies in microseconds: exact below 1 ms, then buckets 1 % wide (up to ~10 minutes). */
  static final class Histogram {
    private static final int EXACT = 1000;
    private static final double STEP = Math.log(1.01);
    private final AtomicLongArray counts = new AtomicLongArray(EXACT + 1400);
    private final AtomicLong max = new AtomicLong();
    private final AtomicLong total = new AtomicLong();

    void record(long micros) {
      long v = Math.max(0, micros);
      int i = v < EXACT ? (int) v : EXACT + (int) (Math.log(v / (double) EXACT) / STEP);
      counts.incrementAndGet(Math.min(i, counts.length() - 1));
      total.incrementAndGet();
      max.accumulateAndGet(v, Math::max);
    }

    private static double valueOf(int i) {
      return i < EXACT ? i : EXACT * Math.exp((i - EXACT + 0.5) * STEP);
    }

    /** The q-quantile in milliseconds. */
    double quantileMs(double q) {
      long n = total.get();
      if (n == 0) return Double.NaN;
      long rank = (long) Math.ceil(q * n);
      long seen = 0;
      for (int i = 0; i < counts.length(); i++) {
        seen += counts.get(i);
        if (seen >= rank) return valueOf(i) / 1000.0;
      }
      return max.get() / 1000.0;
    }

    String json() {
      return String.format(java.util.Locale.ROOT, "{\"count\":%d,\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f}",
          total.get(), quantileMs(0.5), quantileMs(0.99), quantileMs(0.999), max.get() / 1000.0);
    }
  }

  static long count;
  static long warmup;
  static final Histogram latency = new Histogram();
  static final AtomicLong completed = new AtomicLong();
  static final AtomicLong failed = new AtomicLong();
  /** System.nanoTime() when warm-up ended (the W-th completion), and of the last completion. */
  static final AtomicLong measuredFrom = new AtomicLong();
  static final AtomicLong lastCompletion = new AtomicLong();
  static final AtomicLong messagesMeasured = new AtomicLong();
  static volatile boolean finished;

  public static void main(String[] args) throws Exception {
    if (args.length < 1) usage();
    String role = args[0];
    long timeoutSeconds = 300;
    int i = 1;
    for (; i < args.length && !args[i].equals("--"); i += 2) {
      if (i + 1 >= args.length) usage();
      switch (args[i]) {
        case "--count": count = Long.parseLong(args[i + 1]); break;
        case "--warmup": warmup = Long.parseLong(args[i + 1]); break;
        case "--timeout-s": timeoutSeconds = Long.parseLong(args[i + 1]); break;
        default: usage();
      }
    }
    if (count <= 0) usage();
    String[] toolArgs = i < args.length ? java.util.Arrays.copyOfRange(args, i + 1, args.length) : new String[0];
    Thread hooker;
    Runnable tool;
    switch (role) {
      case "producer": {
        String[] withQuantity = java.util.Arrays.copyOf(toolArgs, toolArgs.length + 2);
        withQuantity[toolArgs.length] = "-q";
        withQuantity[toolArgs.length + 1] = String.valueOf(count + warmup);
        hooker = watch(RocketMQBenchmarkMain::hookProducers);
        tool = () -> run(() -> org.apache.rocketmq.example.benchmark.Producer.main(withQuantity));
        break;
      }
      case "batch-producer":
        hooker = watch(RocketMQBenchmarkMain::hookProducers);
        tool = () -> run(() -> org.apache.rocketmq.example.benchmark.BatchProducer.main(toolArgs));
        break;
      case "consumer":
        hooker = watch(RocketMQBenchmarkMain::hookConsumers);
        tool = () -> run(() -> org.apache.rocketmq.example.benchmark.Consumer.main(toolArgs));
        break;
      default:
        usage();
        return;
    }
    hooker.start();
    Thread program = new Thread(tool, "benchmark-program");
    program.setDaemon(true);
    long started = System.nanoTime();
    program.start();
    long deadline = started + timeoutSeconds * 1_000_000_000L;
    // The producer program returns once its -q requests are done; the others run until stopped here.
    while (!finished && System.nanoTime() < deadline && (program.isAlive() || !role.equals("producer"))) Thread.sleep(20);
    boolean timedOut = !finished && System.nanoTime() >= deadline;
    report(role, started, timedOut);
    System.out.flush();
    Runtime.getRuntime().halt(timedOut ? 3 : 0);
  }

  interface Body { void run() throws Exception; }

  static void run(Body body) {
    try {
      body.run();
    } catch (Throwable t) {
      t.printStackTrace();
      System.out.flush();
      Runtime.getRuntime().halt(4);
    }
  }

  static void usage() {
    System.err.println("usage: RocketMQBenchmarkMain producer|batch-producer|consumer --count N [--warmup W] [--timeout-s S] -- <program options>");
    System.exit(2);
  }

  static void report(String role, long started, boolean timedOut) {
    long from = measuredFrom.get();
    long to = lastCompletion.get();
    double seconds = from == 0 || to <= from ? Double.NaN : (to - from) / 1e9;
    long measured = messagesMeasured.get();
    System.out.printf(java.util.Locale.ROOT,
        "RESULT {\"role\":\"%s\",\"completed\":%d,\"failed\":%d,\"warmup\":%d,\"measuredMessages\":%d,\"seconds\":%.3f,"
            + "\"msgPerSec\":%.1f,\"latencyMs\":%s,\"startToWarmSeconds\":%.3f,\"timedOut\":%b}%n",
        role, completed.get(), failed.get(), warmup, measured, seconds, measured / seconds, latency.json(),
        from == 0 ? Double.NaN : (from - started) / 1e9, timedOut);
  }

  /** Polls the client factory until the program's client exists, then attaches `hook` to it once. */
  static Thread watch(java.util.function.Predicate<MQClientInstance> hook) {
    Thread t = new Thread(() -> {
      Set<MQClientInstance> done = ConcurrentHashMap.newKeySet();
      try {
        Field f = MQClientManager.class.getDeclaredField("factoryTable");
        f.setAccessible(true);
        while (!finished) {
          @SuppressWarnings("unchecked")
          Map<String, MQClientInstance> table = (Map<String, MQClientInstance>) f.get(MQClientManager.getInstance());
          for (MQClientInstance c : table.values()) if (!done.contains(c) && hook.test(c)) done.add(c);
          Thread.sleep(done.isEmpty() ? 1 : 200);
        }
      } catch (Exception e) {
        e.printStackTrace();
        Runtime.getRuntime().halt(5);
      }
    }, "benchmark-hooker");
    t.setDaemon(true);
    return t;
  }

  static final ThreadLocal<Long> sendStarted = new ThreadLocal<>();

  static boolean hookProducers(MQClientInstance c) {
    boolean hooked = false;
    for (String group : new String[] {"benchmark_producer", "benchmark_batch_producer"}) {
      MQProducerInner p = c.selectProducer(group);
      if (!(p instanceof DefaultMQProducerImpl)) continue;
      ((DefaultMQProducerImpl) p).registerSendMessageHook(new SendMessageHook() {
        public String hookName() { return "rop-benchmark"; }
        public void sendMessageBefore(SendMessageContext ctx) { sendStarted.set(System.nanoTime()); }
        public void sendMessageAfter(SendMessageContext ctx) {
          Long began = sendStarted.get();
          if (began == null) return;
          long now = System.nanoTime();
          if (ctx.getException() != null) {
            failed.incrementAndGet();
            return;
          }
          int messages = ctx.getMessage() instanceof org.apache.rocketmq.common.message.MessageBatch
              ? batchSize((org.apache.rocketmq.common.message.MessageBatch) ctx.getMessage()) : 1;
          completedOne(now, (now - began) / 1000, messages);
        }
      });
      hooked = true;
    }
    return hooked;
  }

  static int batchSize(org.apache.rocketmq.common.message.MessageBatch batch) {
    int n = 0;
    for (org.apache.rocketmq.common.message.Message ignored : batch) n++;
    return n;
  }

  static boolean hookConsumers(MQClientInstance c) {
    boolean hooked = false;
    for (String group : consumerGroups(c)) {
      MQConsumerInner inner = c.selectConsumer(group);
      if (!(inner instanceof DefaultMQPushConsumerImpl)) continue;
      DefaultMQPushConsumerImpl consumer = (DefaultMQPushConsumerImpl) inner;
      announceAssignment(consumer);
      consumer.registerConsumeMessageHook(new ConsumeMessageHook() {
        public String hookName() { return "rop-benchmark"; }
        public void consumeMessageBefore(ConsumeMessageContext ctx) {
          long nowMs = System.currentTimeMillis();
          long now = System.nanoTime();
          for (MessageExt m : ctx.getMsgList()) completedOne(now, (nowMs - m.getBornTimestamp()) * 1000, 1);
        }
        public void consumeMessageAfter(ConsumeMessageContext ctx) {}
      });
      hooked = true;
    }
    return hooked;
  }

  /**
   * Prints "ASSIGNED n" once the consumer's rebalance has given it queues: a consumer can take many seconds to get
   * its first queues (a route refresh), and producing before that would measure a backlog, not end-to-end latency.
   */
  static void announceAssignment(DefaultMQPushConsumerImpl consumer) {
    Thread t = new Thread(() -> {
      try {
        while (!finished) {
          int queues = consumer.getRebalanceImpl().getProcessQueueTable().size();
          if (queues > 0) {
            System.out.println("ASSIGNED " + queues);
            return;
          }
          Thread.sleep(20);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "benchmark-assignment");
    t.setDaemon(true);
    t.start();
  }

  static Iterable<String> consumerGroups(MQClientInstance c) {
    try {
      Field f = MQClientInstance.class.getDeclaredField("consumerTable");
      f.setAccessible(true);
      return ((Map<String, ?>) f.get(c)).keySet();
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One request (or consumed message) done at `now`; the first `warmup` are counted but not measured. */
  static void completedOne(long now, long micros, int messages) {
    long n = completed.incrementAndGet();
    if (n == warmup) measuredFrom.set(now);
    if (n > warmup) {
      if (warmup == 0) measuredFrom.compareAndSet(0, now - micros * 1000);
      latency.record(micros);
      messagesMeasured.addAndGet(messages);
      lastCompletion.accumulateAndGet(now, Math::max);
    }
    if (n >= count + warmup) finished = true;
  }
}
