package rop.harness5;

import rop.harness.common.Args;
import rop.harness.common.Events;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.rocketmq.client.apis.ClientServiceProvider;
import org.apache.rocketmq.client.apis.consumer.FilterExpression;
import org.apache.rocketmq.client.apis.consumer.SimpleConsumer;
import org.apache.rocketmq.client.apis.message.MessageView;

/** A SimpleConsumer's receive/ack loop until `--expect` distinct messages arrived; exits 1 on timeout. */
final class SimpleConsume {
  private SimpleConsume() {}

  static int run(Args a) throws Exception {
    int expect = a.getInt("expect", 1);
    boolean ack = Boolean.parseBoolean(a.get("ack", "true"));
    Duration invisible = Duration.ofMillis(a.getInt("invisible-ms", 15_000));
    long deadline = System.currentTimeMillis() + a.getInt("timeout-ms", 30_000);
    Set<String> seen = new HashSet<>();
    try (SimpleConsumer consumer = ClientServiceProvider.loadService().newSimpleConsumerBuilder()
        .setClientConfiguration(Main.clientConfiguration(a))
        .setConsumerGroup(a.get("group"))
        // A long poll shorter than the request timeout the client adds to it, so a timeout stays prompt.
        .setAwaitDuration(Duration.ofMillis(a.getInt("await-ms", 2000)))
        .setSubscriptionExpressions(Map.of(a.get("topic"), new FilterExpression(a.get("filter", "*"))))
        .build()) {
      Events.emit(Events.event("ready"));
      while (seen.size() < expect && System.currentTimeMillis() < deadline) {
        List<MessageView> batch;
        try {
          batch = consumer.receive(16, invisible);
        } catch (Exception e) {
          Events.error("receive", e);
          continue;
        }
        for (MessageView m : batch) {
          Events.emit(Received.describe(m));
          seen.add(m.getMessageId().toString());
          if (ack) acknowledge(consumer, m);
        }
      }
    }
    Map<String, Object> done = Events.event("done");
    done.put("distinct", seen.size());
    Events.emit(done);
    return seen.size() >= expect ? 0 : 1;
  }

  private static void acknowledge(SimpleConsumer consumer, MessageView m) {
    try {
      consumer.ack(m);
      Map<String, Object> e = Events.event("acked");
      e.put("msgId", m.getMessageId().toString());
      Events.emit(e);
    } catch (Exception e) {
      Events.error("ack " + m.getMessageId(), e);
    }
  }
}
