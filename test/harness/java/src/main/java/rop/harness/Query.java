package rop.harness;

import rop.harness.common.Args;
import rop.harness.common.Events;
import java.util.List;
import java.util.Map;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.common.protocol.ResponseCode;
import org.apache.rocketmq.client.QueryResult;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.message.MessageExt;

/** The queries `mqadmin queryMsgByKey` and `queryMsgById` make, through the client's MQAdmin API. */
final class Query {
  private Query() {}

  @SuppressWarnings("deprecation")
  static int run(Args a) throws Exception {
    DefaultMQProducer client = new DefaultMQProducer(a.get("group", "rop-query"));
    client.setNamesrvAddr(a.get("namesrv"));
    client.setInstanceName("query-" + ProcessHandle.current().pid());
    client.start();
    try {
      String topic = a.get("topic");
      if (a.has("msg-id")) {
        MessageExt m = client.viewMessage(topic, a.get("msg-id"));
        Events.emit(m == null ? Events.event("not-found") : Consume.describe(m, "query"));
      } else {
        List<MessageExt> list;
        try {
          QueryResult r = client.queryMessage(topic, a.get("key"), a.getInt("max", 32), 0, Long.MAX_VALUE);
          list = r.getMessageList();
        } catch (MQClientException e) {
          // The client reports an empty result as an error (NO_MESSAGE, 208).
          if (e.getResponseCode() != ResponseCode.NO_MESSAGE) throw e;
          list = List.of();
        }
        for (MessageExt m : list) Events.emit(Consume.describe(m, "query"));
        Map<String, Object> done = Events.event("done");
        done.put("count", list.size());
        Events.emit(done);
      }
    } finally {
      client.shutdown();
    }
    return 0;
  }
}
