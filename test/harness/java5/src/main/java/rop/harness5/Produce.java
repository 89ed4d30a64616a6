package rop.harness5;

import rop.harness.common.Args;
import rop.harness.common.Events;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.rocketmq.client.apis.ClientServiceProvider;
import org.apache.rocketmq.client.apis.message.MessageBuilder;
import org.apache.rocketmq.client.apis.producer.Producer;
import org.apache.rocketmq.client.apis.producer.SendReceipt;

/** Sends `--count` messages one by one and reports every receipt. */
final class Produce {
  private Produce() {}

  static int run(Args a) throws Exception {
    ClientServiceProvider provider = ClientServiceProvider.loadService();
    String topic = a.get("topic");
    int count = a.getInt("count", 1);
    List<String> tags = a.has("tags") ? List.of(a.get("tags").split(",")) : List.of();
    int errors = 0;
    try (Producer producer = provider.newProducerBuilder().setClientConfiguration(Main.clientConfiguration(a)).setTopics(topic).build()) {
      for (int i = 0; i < count; i++) {
        try {
          SendReceipt receipt = producer.send(message(provider.newMessageBuilder(), a, topic, i, tags).build());
          Map<String, Object> e = Events.event("sent");
          e.put("i", i);
          e.put("msgId", receipt.getMessageId().toString());
          Events.emit(e);
        } catch (Exception e) {
          Events.error("send " + i, e);
          errors++;
        }
      }
    }
    Map<String, Object> done = Events.event("done");
    done.put("sent", count - errors);
    done.put("errors", errors);
    Events.emit(done);
    return errors == 0 ? 0 : 1;
  }

  /** A body of exactly `bytes` bytes, for size limits: message i's index, then a repeating pattern. */
  static byte[] sizedBody(int i, int bytes) {
    byte[] body = new byte[bytes];
    byte[] head = ("body-" + i + "-").getBytes(StandardCharsets.UTF_8);
    for (int k = 0; k < bytes; k++) body[k] = k < head.length ? head[k] : (byte) ('a' + k % 26);
    return body;
  }

  /** Message i of a run, still open for more properties; consumers recompute it to compare. */
  static MessageBuilder message(MessageBuilder b, Args a, String topic, int i, List<String> tags) {
    b.setTopic(topic)
        .setKeys("key-" + i)
        .addProperty("idx", Integer.toString(i))
        .addProperty("p-utf8", "值-ü-" + i)
        .setBody(a.has("body-bytes") ? sizedBody(i, a.getInt("body-bytes", 0)) : ("body-" + i).getBytes(StandardCharsets.UTF_8));
    if (!tags.isEmpty()) b.setTag(tags.get(i % tags.size()));
    if (a.has("group")) b.setMessageGroup(a.get("group"));
    if (a.has("delay-ms")) b.setDeliveryTimestamp(System.currentTimeMillis() + a.getInt("delay-ms", 0));
    return b;
  }
}
