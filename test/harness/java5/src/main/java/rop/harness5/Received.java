package rop.harness5;

import rop.harness.common.Events;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import org.apache.rocketmq.client.apis.message.MessageView;

/** The `received` event both consumers print for every delivery. */
final class Received {
  private Received() {}

  static Map<String, Object> describe(MessageView m) {
    Map<String, Object> e = Events.event("received");
    e.put("msgId", m.getMessageId().toString());
    e.put("topic", m.getTopic());
    e.put("tag", m.getTag().orElse(null));
    e.put("keys", new ArrayList<>(m.getKeys()));
    ByteBuffer body = m.getBody();
    byte[] bytes = new byte[body.remaining()];
    body.get(bytes);
    e.put("body", new String(bytes, StandardCharsets.UTF_8));
    e.put("bodyBase64", Base64.getEncoder().encodeToString(bytes));
    e.put("properties", new TreeMap<>(m.getProperties()));
    e.put("deliveryAttempt", m.getDeliveryAttempt());
    e.put("messageGroup", m.getMessageGroup().orElse(null));
    e.put("deliveryTimestamp", m.getDeliveryTimestamp().orElse(null));
    e.put("bornTimestamp", m.getBornTimestamp());
    return e;
  }
}
