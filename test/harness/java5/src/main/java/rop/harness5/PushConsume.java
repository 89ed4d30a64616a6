package rop.harness5;

import rop.harness.common.Args;
import rop.harness.common.Events;
import rop.harness.common.Stdin;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.apis.ClientServiceProvider;
import org.apache.rocketmq.client.apis.consumer.ConsumeResult;
import org.apache.rocketmq.client.apis.consumer.FilterExpression;

/**
 * A PushConsumer that reports every delivery and exits once `--expect` distinct messages were consumed with SUCCESS;
 * exits 1 on timeout. --fail-first K: the listener fails each message's first K deliveries, as a flaky one would.
 * --fail-always-idx K: it fails every delivery of the message whose idx property is K, as a poison message would.
 * --stay: once enough were consumed, it stays up until stdin closes, for the server's telemetry commands
 * (thread stacks, message verification), which reach a client only while it runs.
 */
final class PushConsume {
  private PushConsume() {}

  static int run(Args a) throws Exception {
    int expect = a.getInt("expect", 1);
    int failFirst = a.getInt("fail-first", 0);
    String poison = a.get("fail-always-idx", null);
    Set<String> succeeded = ConcurrentHashMap.newKeySet();
    CountDownLatch enough = new CountDownLatch(1);
    // Left open: its close() first waits for the in-flight long-polling receive, up to the server's long-polling
    // timeout (20 s), before it tells the server it leaves; the process exits instead, and the gateway sees it go.
    ClientServiceProvider.loadService().newPushConsumerBuilder()
        .setClientConfiguration(Main.clientConfiguration(a))
        .setConsumerGroup(a.get("group"))
        .setSubscriptionExpressions(Map.of(a.get("topic"), new FilterExpression(a.get("filter", "*"))))
        .setMessageListener(m -> {
          Events.emit(Received.describe(m));
          // failFirst > 0 first: a message pushed by a server command may carry no delivery attempt (0).
          boolean flaky = failFirst > 0 && m.getDeliveryAttempt() <= failFirst;
          if (flaky || (poison != null && poison.equals(m.getProperties().get("idx")))) return ConsumeResult.FAILURE;
          succeeded.add(m.getMessageId().toString());
          if (succeeded.size() >= expect) enough.countDown();
          return ConsumeResult.SUCCESS;
        })
        .build();
    Events.emit(Events.event("ready"));
    int timeoutMs = a.getInt("timeout-ms", 30_000);
    boolean complete = enough.await(timeoutMs, TimeUnit.MILLISECONDS);
    if (a.has("stay")) {
      Events.emit(Events.event("staying"));
      Stdin.awaitCloseOr(timeoutMs);
    } else {
      // The last SUCCESS is acked after the listener returns.
      Thread.sleep(a.getInt("linger-ms", 1000));
    }
    Map<String, Object> done = Events.event("done");
    done.put("succeeded", succeeded.size());
    Events.emit(done);
    return complete ? 0 : 1;
  }
}
