package rop.harness5;

import rop.harness.common.Args;
import rop.harness.common.Events;
import rop.harness.common.Stdin;
import java.util.List;
import java.util.Map;
import org.apache.rocketmq.client.apis.ClientServiceProvider;
import org.apache.rocketmq.client.apis.message.MessageView;
import org.apache.rocketmq.client.apis.producer.Producer;
import org.apache.rocketmq.client.apis.producer.SendReceipt;
import org.apache.rocketmq.client.apis.producer.Transaction;
import org.apache.rocketmq.client.apis.producer.TransactionResolution;

/**
 * A transactional Producer whose local transactions decide per message: `--decisions` cycles over commit,
 * rollback, unknown:commit and unknown:rollback (left unresolved now, that answer when the server checks back).
 * Messages are the `produce` command's, plus `decision` and `check` properties the checker reads back. It stays up
 * until stdin closes (or `--timeout-ms`), since the server can only check back while its telemetry stream is open.
 */
final class TxProduce {
  private TxProduce() {}

  static int run(Args a) throws Exception {
    ClientServiceProvider provider = ClientServiceProvider.loadService();
    String topic = a.get("topic");
    List<String> decisions = List.of(a.get("decisions", "commit").split(","));
    int count = a.getInt("count", 1);
    int errors = 0;
    // The server sends its checks to a producer that declared the topic, so setTopics is not optional here.
    try (Producer producer = provider.newProducerBuilder().setClientConfiguration(Main.clientConfiguration(a))
        .setTopics(topic).setTransactionChecker(TxProduce::check).build()) {
      for (int i = 0; i < count; i++) {
        String[] d = decisions.get(i % decisions.size()).split(":");
        try {
          // The client allows one message per transaction.
          Transaction tx = producer.beginTransaction();
          SendReceipt receipt = producer.send(Produce.message(provider.newMessageBuilder(), a, topic, i, List.of())
              .addProperty("decision", d[0]).addProperty("check", d.length > 1 ? d[1] : d[0]).build(), tx);
          if (d[0].equals("commit")) tx.commit();
          if (d[0].equals("rollback")) tx.rollback();
          Map<String, Object> e = Events.event("sent");
          e.put("i", i);
          e.put("msgId", receipt.getMessageId().toString());
          e.put("decision", d[0]);
          Events.emit(e);
        } catch (Exception e) {
          Events.error("send " + i, e);
          errors++;
        }
      }
      Events.emit(Events.event("sent-all"));
      Stdin.awaitCloseOr(a.getInt("timeout-ms", 120_000));
    }
    Events.emit(Events.event("stopped"));
    return errors == 0 ? 0 : 1;
  }

  private static TransactionResolution check(MessageView m) {
    String answer = m.getProperties().get("check");
    Map<String, Object> e = Events.event("checked");
    e.put("idx", m.getProperties().get("idx"));
    e.put("msgId", m.getMessageId().toString());
    e.put("answer", answer);
    Events.emit(e);
    return switch (answer) {
      case "commit" -> TransactionResolution.COMMIT;
      case "rollback" -> TransactionResolution.ROLLBACK;
      default -> TransactionResolution.UNKNOWN;
    };
  }
}
