// What both benchmark drivers (RocketMQBenchmarkMain, 4.x remoting client; RocketMQ5BenchmarkMain, 5.x gRPC
// client) measure and how they report it, so the figures of every RocketMQ target mean the same: the common options
// (--count N [--warmup W] [--timeout-s S] --), the first W completions left out, a latency histogram, and one JSON
// line on stdout prefixed with "RESULT ".
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

final class BenchmarkFigures {
  private BenchmarkFigures() {}

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
  static long timeoutSeconds = 300;
  static final Histogram latency = new Histogram();
  static final AtomicLong completed = new AtomicLong();
  static final AtomicLong failed = new AtomicLong();
  /** System.nanoTime() when warm-up ended (the W-th completion), and of the last completion. */
  static final AtomicLong measuredFrom = new AtomicLong();
  static final AtomicLong lastCompletion = new AtomicLong();
  static final AtomicLong messagesMeasured = new AtomicLong();
  static volatile boolean finished;

  /** Reads the common options from args[1] on and returns what follows "--": the driven program's own options. */
  static String[] parseCommonOptions(String[] args, Runnable usage) {
    int i = 1;
    for (; i < args.length && !args[i].equals("--"); i += 2) {
      if (i + 1 >= args.length) usage.run();
      switch (args[i]) {
        case "--count": count = Long.parseLong(args[i + 1]); break;
        case "--warmup": warmup = Long.parseLong(args[i + 1]); break;
        case "--timeout-s": timeoutSeconds = Long.parseLong(args[i + 1]); break;
        default: usage.run();
      }
    }
    if (count <= 0) usage.run();
    return i < args.length ? java.util.Arrays.copyOfRange(args, i + 1, args.length) : new String[0];
  }

  interface Body { void run() throws Exception; }

  /**
   * Runs `body` on a daemon thread until the asked count is reached, the timeout passes or, when `endsByItself`,
   * the body returns; then reports and leaves without waiting for the client's own threads.
   */
  static void runAndReport(String role, Body body, boolean endsByItself) throws InterruptedException {
    Thread program = new Thread(() -> {
      try {
        body.run();
      } catch (Throwable t) {
        t.printStackTrace();
        System.out.flush();
        Runtime.getRuntime().halt(4);
      }
    }, "benchmark-program");
    program.setDaemon(true);
    long started = System.nanoTime();
    program.start();
    long deadline = started + timeoutSeconds * 1_000_000_000L;
    while (!finished && System.nanoTime() < deadline && (program.isAlive() || !endsByItself)) Thread.sleep(20);
    boolean timedOut = !finished && System.nanoTime() >= deadline;
    report(role, started, timedOut);
    System.out.flush();
    Runtime.getRuntime().halt(timedOut ? 3 : 0);
  }

  private static void report(String role, long started, boolean timedOut) {
    long from = measuredFrom.get();
    long to = lastCompletion.get();
    double seconds = from == 0 || to <= from ? Double.NaN : (to - from) / 1e9;
    long measured = messagesMeasured.get();
    // The window's ends on the wall clock too, so that a producer's and a consumer's (two processes) line up.
    long nowNanos = System.nanoTime();
    long nowMs = System.currentTimeMillis();
    long fromEpochMs = from == 0 ? 0 : nowMs - (nowNanos - from) / 1_000_000;
    long lastEpochMs = to == 0 ? 0 : nowMs - (nowNanos - to) / 1_000_000;
    System.out.printf(java.util.Locale.ROOT,
        "RESULT {\"role\":\"%s\",\"completed\":%d,\"failed\":%d,\"warmup\":%d,\"measuredMessages\":%d,\"seconds\":%.3f,"
            + "\"msgPerSec\":%.1f,\"latencyMs\":%s,\"startToWarmSeconds\":%.3f,\"fromEpochMs\":%d,\"lastEpochMs\":%d,\"timedOut\":%b}%n",
        role, completed.get(), failed.get(), warmup, measured, seconds, measured / seconds, latency.json(),
        from == 0 ? Double.NaN : (from - started) / 1e9, fromEpochMs, lastEpochMs, timedOut);
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
