package rop.pulsarharness;

import rop.harness.common.Args;
import rop.harness.common.Events;
import rop.harness.common.Stdin;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;

/**
 * Subscribes (Exclusive) and reports up to `--count` messages, acknowledging each, until the count is
 * reached, `--timeout-ms` passes (counted from the `ready` line) or stdin closes. A partitioned topic is
 * given by its base name; the client then subscribes to every partition.
 */
final class Consume {
  private Consume() {}

  /** How long one receive call blocks, so a closed stdin is noticed promptly. */
  private static final int POLL_MS = 200;

  static int run(Args a) throws Exception {
    String topic = a.get("topic");
    int count = a.getInt("count", 1);
    long timeoutMs = a.getLong("timeout-ms", 30_000);
    String initial = a.get("initial", "earliest");
    if (!initial.equals("earliest") && !initial.equals("latest")) throw new IllegalArgumentException("--initial takes earliest or latest, not " + initial);
    Stdin.watch();

    int received = 0;
    try (PulsarClient client = PulsarClient.builder().serviceUrl(a.get("service-url")).build()) {
      Consumer<byte[]> consumer = client.newConsumer()
          .topic(topic)
          .subscriptionName(a.get("subscription"))
          .subscriptionType(SubscriptionType.Exclusive)
          .subscriptionInitialPosition(initial.equals("earliest") ? SubscriptionInitialPosition.Earliest : SubscriptionInitialPosition.Latest)
          .subscribe();
      Events.emit(Events.event("ready"));
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
      while (received < count && !Stdin.closed()) {
        long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (leftMs <= 0) break;
        Message<byte[]> m = consumer.receive((int) Math.min(leftMs, POLL_MS), TimeUnit.MILLISECONDS);
        if (m == null) continue;
        Events.emit(describe(m));
        consumer.acknowledge(m);
        received++;
      }
      consumer.close();
    }
    Map<String, Object> done = Events.event("done");
    done.put("count", received);
    Events.emit(done);
    return 0;
  }

  private static Map<String, Object> describe(Message<byte[]> m) {
    Map<String, Object> e = Events.event("received");
    e.put("body", new String(m.getValue(), StandardCharsets.UTF_8));
    e.put("bodyBase64", java.util.Base64.getEncoder().encodeToString(m.getValue()));
    e.put("key", m.hasKey() ? m.getKey() : null);
    e.put("properties", new TreeMap<>(m.getProperties()));
    e.put("messageId", m.getMessageId().toString());
    e.put("publishTime", m.getPublishTime());
    e.put("eventTime", m.getEventTime());
    e.put("topic", m.getTopicName());
    e.put("redeliveryCount", m.getRedeliveryCount());
    return e;
  }
}
