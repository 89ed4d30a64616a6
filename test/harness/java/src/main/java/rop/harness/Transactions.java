package rop.harness;

import rop.harness.common.Args;
import rop.harness.common.Events;
import rop.harness.common.Stdin;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * A TransactionMQProducer whose local transactions decide per message: `--decisions` cycles over
 * commit, rollback, unknown:commit and unknown:rollback (unknown now, that answer when checked back).
 * It stays up until stdin closes, so the broker can check back.
 */
final class Transactions {
  private Transactions() {}

  private static LocalTransactionState state(String s) {
    return switch (s) {
      case "commit" -> LocalTransactionState.COMMIT_MESSAGE;
      case "rollback" -> LocalTransactionState.ROLLBACK_MESSAGE;
      default -> LocalTransactionState.UNKNOW;
    };
  }

  static int produce(Args a) throws Exception {
    TransactionMQProducer producer = new TransactionMQProducer(a.get("group", "rop-tx-producer"));
    producer.setNamesrvAddr(a.get("namesrv"));
    producer.setInstanceName("tx-" + ProcessHandle.current().pid());
    // Heartbeats tell the broker where to send checks; after a broker restart, the next one must come soon.
    producer.setHeartbeatBrokerInterval(a.getInt("heartbeat-ms", 2000));
    if (a.has("poll-name-server-ms")) producer.setPollNameServerInterval(a.getInt("poll-name-server-ms", 30_000));
    producer.setTransactionListener(new TransactionListener() {
      @Override public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
        return state(msg.getUserProperty("decision"));
      }

      @Override public LocalTransactionState checkLocalTransaction(MessageExt msg) {
        Map<String, Object> e = Events.event("checked");
        e.put("idx", msg.getUserProperty("idx"));
        e.put("answer", msg.getUserProperty("check"));
        Events.emit(e);
        return state(msg.getUserProperty("check"));
      }
    });
    producer.start();
    List<String> decisions = a.list("decisions");
    int errors = 0;
    for (int i = 0; i < a.getInt("count", 1); i++) {
      String[] d = decisions.get(i % decisions.size()).split(":");
      Message m = new Message(a.get("topic"), ("tx-" + i).getBytes(StandardCharsets.UTF_8));
      m.putUserProperty("idx", Integer.toString(i));
      m.putUserProperty("decision", d[0]);
      m.putUserProperty("check", d.length > 1 ? d[1] : d[0]);
      Map<String, Object> e;
      try {
        TransactionSendResult r = producer.sendMessageInTransaction(m, null);
        e = Events.event("sent");
        e.put("status", r.getSendStatus().name());
        e.put("local", r.getLocalTransactionState().name());
      } catch (Exception ex) {
        errors++;
        e = Events.event("error");
        e.put("message", String.valueOf(ex.getMessage()));
      }
      e.put("i", i);
      Events.emit(e);
    }
    Events.emit(Events.event("sent-all"));
    Stdin.awaitCloseOr(a.getInt("timeout-ms", 120_000));
    producer.shutdown();
    Events.emit(Events.event("stopped"));
    return errors == 0 ? 0 : 1;
  }
}
