package rop.pulsarharness;

import rop.harness.common.Args;
import rop.harness.common.Events;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.TypedMessageBuilder;

/**
 * Sends `--count` messages, body `${body-prefix}${i}` in UTF-8, with the same key and properties on each,
 * then reports every message id in send order.
 *
 * With batching the sends are asynchronous so the client really groups them into batch entries; without
 * it each send waits for its receipt. On a partitioned topic the client routes by key hash (when a key is
 * given) or round-robin, as Pulsar's own default router does.
 */
final class Produce {
  private Produce() {}

  static int run(Args a) throws Exception {
    String topic = a.get("topic");
    int count = a.getInt("count", 1);
    String key = a.has("key") ? a.get("key") : null;
    Map<String, String> props = a.pairs("prop");
    String prefix = a.get("body-prefix", "msg-");
    boolean batching = a.getBool("batching", false);
    long eventTime = a.getLong("event-time", 0);
    int sendTimeoutMs = a.getInt("send-timeout-ms", 30_000);

    try (PulsarClient client = PulsarClient.builder()
        .serviceUrl(a.get("service-url"))
        .operationTimeout(sendTimeoutMs, TimeUnit.MILLISECONDS)
        .build()) {
      Producer<byte[]> producer = client.newProducer()
          .topic(topic)
          .enableBatching(batching)
          .batchingMaxPublishDelay(5, TimeUnit.MILLISECONDS)
          .blockIfQueueFull(true)
          .sendTimeout(sendTimeoutMs, TimeUnit.MILLISECONDS)
          .create();
      List<CompletableFuture<MessageId>> sends = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        TypedMessageBuilder<byte[]> m = producer.newMessage().value((prefix + i).getBytes(StandardCharsets.UTF_8));
        if (key != null) m.key(key);
        if (!props.isEmpty()) m.properties(props);
        if (eventTime > 0) m.eventTime(eventTime);
        if (batching) {
          sends.add(m.sendAsync());
        } else {
          sends.add(CompletableFuture.completedFuture(m.send()));
        }
      }
      if (batching) producer.flush();
      for (int i = 0; i < count; i++) {
        MessageId id = sends.get(i).get(sendTimeoutMs, TimeUnit.MILLISECONDS);
        Map<String, Object> e = Events.event("sent");
        e.put("i", i);
        e.put("messageId", id.toString());
        Events.emit(e);
      }
      producer.close();
    }
    Map<String, Object> done = Events.event("done");
    done.put("count", count);
    Events.emit(done);
    return 0;
  }
}
