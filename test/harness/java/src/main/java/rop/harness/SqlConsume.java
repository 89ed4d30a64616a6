package rop.harness;

import rop.harness.common.Args;
import rop.harness.common.Events;
import rop.harness.common.Stdin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.MessageSelector;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * One push and one lite-pull consumer per SQL92 expression of --sql-file (one a line), each in a group of its own
 * (--group plus -p<k> or -l<k>), all in one JVM: many expressions are checked without a JVM start each. Every
 * delivery is reported with its consumer's label; a consumer whose start() the broker refuses reports start-failed.
 */
final class SqlConsume {
  private SqlConsume() {}

  static int run(Args a) throws Exception {
    List<String> expressions = Files.readAllLines(Path.of(a.get("sql-file"))).stream().filter(s -> !s.isBlank()).toList();
    String group = a.get("group");
    List<DefaultMQPushConsumer> pushes = new ArrayList<>();
    List<DefaultLitePullConsumer> lites = new ArrayList<>();
    AtomicBoolean polling = new AtomicBoolean(true);
    List<Thread> pollers = new ArrayList<>();
    for (int k = 0; k < expressions.size(); k++) {
      MessageSelector selector = MessageSelector.bySql(expressions.get(k));
      String pushLabel = "p" + k;
      DefaultMQPushConsumer push = new DefaultMQPushConsumer(group + "-" + pushLabel);
      push.setNamesrvAddr(a.get("namesrv"));
      push.setInstanceName("sql-" + pushLabel + "-" + ProcessHandle.current().pid());
      push.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
      push.subscribe(a.get("topic"), selector);
      push.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
        for (MessageExt m : msgs) Events.emit(labelled(m, pushLabel));
        return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
      });
      if (start(pushLabel, push::start)) pushes.add(push);

      String liteLabel = "l" + k;
      DefaultLitePullConsumer lite = new DefaultLitePullConsumer(group + "-" + liteLabel);
      lite.setNamesrvAddr(a.get("namesrv"));
      lite.setInstanceName("sql-" + liteLabel + "-" + ProcessHandle.current().pid());
      lite.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
      lite.setAutoCommit(true);
      lite.subscribe(a.get("topic"), selector);
      if (!start(liteLabel, lite::start)) continue;
      lites.add(lite);
      Thread poller = new Thread(() -> {
        while (polling.get()) for (MessageExt m : lite.poll(1000)) Events.emit(labelled(m, liteLabel));
      });
      poller.setDaemon(true);
      poller.start();
      pollers.add(poller);
    }
    Events.emit(Events.event("ready"));
    Stdin.awaitCloseOr(a.getInt("timeout-ms", 120_000));
    polling.set(false);
    for (Thread t : pollers) t.join(5000);
    for (DefaultLitePullConsumer c : lites) c.shutdown();
    for (DefaultMQPushConsumer c : pushes) c.shutdown();
    Events.emit(Events.event("stopped"));
    return 0;
  }

  private static Map<String, Object> labelled(MessageExt m, String label) {
    Map<String, Object> e = Consume.describe(m, label);
    e.put("consumer", label);
    return e;
  }

  static boolean start(String label, Consume.Start start) {
    try {
      start.run();
      return true;
    } catch (Exception e) {
      Map<String, Object> failed = Events.event("start-failed");
      if (label != null) failed.put("consumer", label);
      failed.put("message", String.valueOf(e.getMessage()));
      Events.emit(failed);
      return false;
    }
  }
}
