package rop.harness;

import rop.harness.common.Args;
import rop.harness.common.Events;
import rop.harness.common.Stdin;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.utils.MessageUtil;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

/** DefaultMQProducer.request() and a consumer that answers each request with a reply message. */
final class RequestReply {
  private RequestReply() {}

  /** Sends `--count` requests one after another and reports each reply (or the failure). */
  static int request(Args a) throws Exception {
    DefaultMQProducer producer = new DefaultMQProducer(a.get("group", "rop-requester"));
    producer.setNamesrvAddr(a.get("namesrv"));
    producer.setInstanceName("requester-" + ProcessHandle.current().pid());
    producer.start();
    int errors = 0;
    try {
      for (int i = 0; i < a.getInt("count", 1); i++) {
        Message m = new Message(a.get("topic"), ("request-" + i).getBytes(StandardCharsets.UTF_8));
        m.putUserProperty("idx", Integer.toString(i));
        long start = System.nanoTime();
        Map<String, Object> e;
        try {
          Message reply = producer.request(m, a.getInt("timeout-ms", 5000));
          e = Events.event("reply");
          e.put("body", new String(reply.getBody(), StandardCharsets.UTF_8));
          e.put("idx", reply.getUserProperty("idx"));
          e.put("ms", (System.nanoTime() - start) / 1e6);
        } catch (Exception ex) {
          errors++;
          e = Events.event("error");
          e.put("message", String.valueOf(ex.getMessage()));
        }
        e.put("i", i);
        Events.emit(e);
      }
    } finally {
      producer.shutdown();
    }
    return errors == 0 ? 0 : 1;
  }

  /** Consumes requests and answers each with "reply-to-<body>", until stdin closes. */
  static int respond(Args a) throws Exception {
    DefaultMQProducer replier = new DefaultMQProducer(a.get("group") + "-replier");
    replier.setNamesrvAddr(a.get("namesrv"));
    replier.setInstanceName("replier-" + ProcessHandle.current().pid());
    replier.start();
    DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(a.get("group"));
    consumer.setNamesrvAddr(a.get("namesrv"));
    consumer.setInstanceName("responder-" + ProcessHandle.current().pid());
    consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET);
    consumer.subscribe(a.get("topic"), "*");
    consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
      for (MessageExt m : msgs) {
        try {
          Message reply = MessageUtil.createReplyMessage(m, ("reply-to-" + new String(m.getBody(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
          reply.putUserProperty("idx", m.getUserProperty("idx"));
          replier.send(reply);
          Events.emit(Events.event("replied"));
        } catch (Exception ex) {
          Map<String, Object> e = Events.event("error");
          e.put("message", String.valueOf(ex.getMessage()));
          Events.emit(e);
        }
      }
      return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
    });
    consumer.start();
    Events.emit(Events.event("ready"));
    Stdin.awaitCloseOr(a.getInt("timeout-ms", 120_000));
    consumer.shutdown();
    replier.shutdown();
    Events.emit(Events.event("stopped"));
    return 0;
  }
}
