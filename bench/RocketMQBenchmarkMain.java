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
  public static void main(String[] args) throws Exception {
    if (args.length < 1) usage();
    String role = args[0];
    String[] toolArgs = BenchmarkFigures.parseCommonOptions(args, RocketMQBenchmarkMain::usage);
    Thread hooker;
    BenchmarkFigures.Body tool;
    switch (role) {
      case "producer": {
        String[] withQuantity = java.util.Arrays.copyOf(toolArgs, toolArgs.length + 2);
        withQuantity[toolArgs.length] = "-q";
        withQuantity[toolArgs.length + 1] = String.valueOf(BenchmarkFigures.count + BenchmarkFigures.warmup);
        hooker = watch(RocketMQBenchmarkMain::hookProducers);
        tool = () -> org.apache.rocketmq.example.benchmark.Producer.main(withQuantity);
        break;
      }
      case "batch-producer":
        hooker = watch(RocketMQBenchmarkMain::hookProducers);
        tool = () -> org.apache.rocketmq.example.benchmark.BatchProducer.main(toolArgs);
        break;
      case "consumer":
        hooker = watch(RocketMQBenchmarkMain::hookConsumers);
        tool = () -> org.apache.rocketmq.example.benchmark.Consumer.main(toolArgs);
        break;
      default:
        usage();
        return;
    }
    hooker.start();
    // The producer program returns once its -q requests are done; the others run until stopped.
    BenchmarkFigures.runAndReport(role, tool, role.equals("producer"));
  }

  static void usage() {
    System.err.println("usage: RocketMQBenchmarkMain producer|batch-producer|consumer --count N [--warmup W] [--timeout-s S] -- <program options>");
    System.exit(2);
  }

  /** Polls the client factory until the program's client exists, then attaches `hook` to it once. */
  static Thread watch(java.util.function.Predicate<MQClientInstance> hook) {
    Thread t = new Thread(() -> {
      Set<MQClientInstance> done = ConcurrentHashMap.newKeySet();
      try {
        Field f = MQClientManager.class.getDeclaredField("factoryTable");
        f.setAccessible(true);
        while (!BenchmarkFigures.finished) {
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
            BenchmarkFigures.failed.incrementAndGet();
            return;
          }
          int messages = ctx.getMessage() instanceof org.apache.rocketmq.common.message.MessageBatch
              ? batchSize((org.apache.rocketmq.common.message.MessageBatch) ctx.getMessage()) : 1;
          BenchmarkFigures.completedOne(now, (now - began) / 1000, messages);
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
          for (MessageExt m : ctx.getMsgList()) BenchmarkFigures.completedOne(now, (nowMs - m.getBornTimestamp()) * 1000, 1);
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
        while (!BenchmarkFigures.finished) {
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
}
