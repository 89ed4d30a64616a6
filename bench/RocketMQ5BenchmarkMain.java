// The load generator of the gRPC workloads: Apache RocketMQ's 5.x Java client (rocketmq-client-java), which speaks
// apache.rocketmq.v2.MessagingService, plaintext, with its default settings. The 4.x benchmark programs have no 5.x
// counterpart, so this is the 5.x analogue of their Producer and Consumer: a Producer sending sync from N threads,
// and a PushConsumer. It measures and reports as RocketMQBenchmarkMain does (BenchmarkFigures.java).
//
//   java -cp <classes>:<rocketmq-client-java lib>/* RocketMQ5BenchmarkMain producer|push-consumer
//        --count N [--warmup W] [--timeout-s S] -- --endpoints host:port --topic T
//        [--threads N --size B]  (producer)  [--group G]  (push-consumer)
//
// producer: N + W sends of B-byte messages shared out over the threads, per-send latency; push-consumer: stops after
// N + W messages, end-to-end latency from each message's born timestamp, prints "ASSIGNED n" once it holds queues.
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.client.apis.ClientConfiguration;
import org.apache.rocketmq.client.apis.ClientException;
import org.apache.rocketmq.client.apis.ClientServiceProvider;
import org.apache.rocketmq.client.apis.consumer.ConsumeResult;
import org.apache.rocketmq.client.apis.consumer.FilterExpression;
import org.apache.rocketmq.client.apis.consumer.PushConsumer;
import org.apache.rocketmq.client.apis.message.Message;
import org.apache.rocketmq.client.apis.producer.Producer;

public class RocketMQ5BenchmarkMain {
  public static void main(String[] args) throws Exception {
    if (args.length < 1) usage();
    String role = args[0];
    Map<String, String> o = options(BenchmarkFigures.parseCommonOptions(args, RocketMQ5BenchmarkMain::usage));
    if (!o.containsKey("endpoints") || !o.containsKey("topic")) usage();
    ClientConfiguration configuration = ClientConfiguration.newBuilder()
        .setEndpoints(o.get("endpoints"))
        // The client speaks TLS unless told otherwise; both servers take plaintext, which costs neither side a cipher.
        .enableSsl(false)
        .build();
    ClientServiceProvider provider = ClientServiceProvider.loadService();
    switch (role) {
      case "producer":
        BenchmarkFigures.runAndReport(role, () -> produce(provider, configuration, o), true);
        break;
      case "push-consumer":
        BenchmarkFigures.runAndReport(role, () -> pushConsume(provider, configuration, o), false);
        break;
      default:
        usage();
    }
  }

  static void usage() {
    System.err.println("usage: RocketMQ5BenchmarkMain producer|push-consumer --count N [--warmup W] [--timeout-s S]"
        + " -- --endpoints host:port --topic T [--threads N] [--size B] [--group G]");
    System.exit(2);
  }

  static Map<String, String> options(String[] args) {
    Map<String, String> o = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) usage();
      o.put(args[i].substring(2), args[i + 1]);
    }
    return o;
  }

  static void produce(ClientServiceProvider provider, ClientConfiguration configuration, Map<String, String> o) throws Exception {
    String topic = o.get("topic");
    int threads = Integer.parseInt(o.getOrDefault("threads", "1"));
    byte[] body = new byte[Integer.parseInt(o.getOrDefault("size", "1024"))];
    new Random(1).nextBytes(body);
    long total = BenchmarkFigures.count + BenchmarkFigures.warmup;
    AtomicLong issued = new AtomicLong();
    try (Producer producer = provider.newProducerBuilder().setClientConfiguration(configuration).setTopics(topic).build()) {
      Thread[] senders = new Thread[threads];
      for (int t = 0; t < threads; t++) {
        senders[t] = new Thread(() -> {
          while (issued.getAndIncrement() < total) {
            Message m = provider.newMessageBuilder().setTopic(topic).setBody(body).build();
            long began = System.nanoTime();
            try {
              producer.send(m);
              long now = System.nanoTime();
              BenchmarkFigures.completedOne(now, (now - began) / 1000, 1);
            } catch (ClientException e) {
              // A failed send is counted and not retried here (the client retried it already), as the 4.x programs do.
              BenchmarkFigures.failed.incrementAndGet();
            }
          }
        }, "benchmark-sender-" + t);
        senders[t].start();
      }
      for (Thread t : senders) t.join();
    }
  }

  static void pushConsume(ClientServiceProvider provider, ClientConfiguration configuration, Map<String, String> o) throws Exception {
    // Left open: closing waits for the in-flight long-polling receives; the driver halts the process instead.
    PushConsumer consumer = provider.newPushConsumerBuilder()
        .setClientConfiguration(configuration)
        .setConsumerGroup(o.getOrDefault("group", o.get("topic") + "_group"))
        .setSubscriptionExpressions(Map.of(o.get("topic"), FilterExpression.SUB_ALL))
        .setMessageListener(m -> {
          long nowMs = System.currentTimeMillis();
          BenchmarkFigures.completedOne(System.nanoTime(), (nowMs - m.getBornTimestamp()) * 1000, 1);
          return ConsumeResult.SUCCESS;
        })
        .build();
    announceAssignment(consumer);
  }

  /**
   * The push consumer asks for its queues a second after it starts and then every 5 s: producing before it holds
   * them would measure a backlog, not end-to-end latency. Its queue table is private, hence the reflection.
   */
  static void announceAssignment(PushConsumer consumer) throws Exception {
    Field f = consumer.getClass().getDeclaredField("processQueueTable");
    f.setAccessible(true);
    Map<?, ?> queues = (Map<?, ?>) f.get(consumer);
    while (!BenchmarkFigures.finished) {
      if (!queues.isEmpty()) {
        System.out.println("ASSIGNED " + queues.size());
        return;
      }
      Thread.sleep(20);
    }
  }
}
