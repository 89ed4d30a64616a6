package rop.harness;

import rop.harness.common.Args;
import rop.harness.common.Events;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.Message;

/** Sends `--count` messages in one of six modes and reports every acknowledgement. */
final class Produce {
  private Produce() {}

  /** Message i of a run; the consumer side recomputes it to compare byte for byte. */
  static Message message(String topic, int i, List<String> tags, int bodySize) {
    Message m = new Message(topic, Main.body(i, bodySize));
    if (!tags.isEmpty()) m.setTags(tags.get(i % tags.size()));
    m.setKeys(List.of("key-" + i, "k2-" + i));
    m.putUserProperty("idx", Integer.toString(i));
    m.putUserProperty("p-utf8", "值-ü-" + i);
    if (delayLevel > 0) m.setDelayTimeLevel(delayLevel);
    if (filterProps) {
      // Properties for SQL92 filters (test/support/java-harness.ts filterProps says the same): numbers, strings,
      // a decimal, and `d` missing from every third message.
      m.putUserProperty("a", Integer.toString(i % 10));
      m.putUserProperty("b", "s" + (i % 7));
      m.putUserProperty("c", Double.toString((i % 5) * 0.5));
      if (i % 3 != 0) m.putUserProperty("d", Integer.toString(i % 4));
    }
    return m;
  }

  /** --filter-props: every message carries the properties SQL92 filter tests select on. */
  private static boolean filterProps;

  /** --delay-level L: every message is sent with RocketMQ delay level L. */
  private static int delayLevel;

  static int run(Args a) throws Exception {
    delayLevel = a.getInt("delay-level", 0);
    filterProps = a.getBool("filter-props", false);
    String topic = a.get("topic");
    int count = a.getInt("count", 1);
    String mode = a.get("mode", "sync");
    List<String> tags = a.list("tags");
    int bodySize = a.getInt("body-size", 0);
    // --trace: the client's message trace on (Pub records to RMQ_SYS_TRACE_TOPIC, or to --trace-topic)
    DefaultMQProducer producer = a.getBool("trace", false)
        ? new DefaultMQProducer(a.get("group", "rop-harness-producer"), Acl.hook(a), true, a.has("trace-topic") ? a.get("trace-topic") : null)
        : new DefaultMQProducer(a.get("group", "rop-harness-producer"), Acl.hook(a));
    producer.setNamesrvAddr(a.get("namesrv"));
    producer.setInstanceName("harness-" + ProcessHandle.current().pid());
    if (a.has("namespace")) producer.setNamespace(a.get("namespace"));
    producer.setSendMsgTimeout(a.getInt("send-timeout-ms", 10_000));
    // --retries N: the client's own retries of a failed sync send (0 by default, so a test sees every failure).
    producer.setRetryTimesWhenSendFailed(a.getInt("retries", 0));
    producer.setRetryTimesWhenSendAsyncFailed(0);
    // --retry-busy: retry SYSTEM_BUSY (2) too, as Apache's 5.3+ clients do by default; 4.9.8 retries it only when told.
    boolean retryBusy = a.getBool("retry-busy", false);
    if (retryBusy) producer.addRetryResponseCode(2);
    if (a.has("poll-name-server-ms")) producer.setPollNameServerInterval(a.getInt("poll-name-server-ms", 30_000));
    producer.start();
    int errors = 0;
    try {
      switch (mode) {
        case "sync" -> {
          int paceMs = a.getInt("pace-ms", 0);
          for (int i = 0; i < count; i++) {
            errors += sendSync(producer, message(topic, i, tags, bodySize), i);
            if (paceMs > 0) Thread.sleep(paceMs);
          }
        }
        case "oneway" -> {
          for (int i = 0; i < count; i++) {
            producer.sendOneway(message(topic, i, tags, bodySize));
            Map<String, Object> e = Events.event("sent");
            e.put("i", i);
            e.put("oneway", true);
            Events.emit(e);
          }
        }
        case "async" -> errors += sendAsync(producer, count, i -> message(topic, i, tags, bodySize), retryBusy);
        case "timed" -> {
          // Even messages take delay levels 1-3, odd ones a delivery time (TIMER_DELIVER_MS) 0.5 s to --max-delay-ms ahead.
          int maxDelayMs = a.getInt("max-delay-ms", 15_000);
          errors += sendAsync(producer, count, i -> {
            Message m = message(topic, i, tags, bodySize);
            if (i % 2 == 0) m.setDelayTimeLevel(1 + (i / 2) % 3);
            else m.putUserProperty("TIMER_DELIVER_MS", Long.toString(System.currentTimeMillis() + 500 + (i * 7919L) % (maxDelayMs - 500)));
            return m;
          }, retryBusy);
        }
        case "batch" -> {
          int size = a.getInt("batch-size", 32);
          for (int from = 0; from < count; from += size) errors += sendBatch(producer, topic, from, Math.min(count, from + size), tags, bodySize);
        }
        case "ordered" -> errors += sendOrdered(producer, topic, a.getInt("orders", 20), count, a.getInt("pace-ms", 0));
        default -> throw new IllegalArgumentException("unknown --mode " + mode);
      }
    } finally {
      // The trace dispatcher sends its records asynchronously, batched for up to half a second; shut down at once,
      // the producer can cut the last batch's send while the store (Pulsar's round trip) is still answering it.
      if (a.getBool("trace", false)) Thread.sleep(a.getInt("trace-linger-ms", 2_000));
      producer.shutdown();
    }
    Map<String, Object> done = Events.event("done");
    done.put("sent", count - errors);
    done.put("errors", errors);
    Events.emit(done);
    return errors == 0 ? 0 : 1;
  }

  /**
   * `count` steps of each of `orders` orders, interleaved (step 0 of every order, then step 1, ...), each
   * order pinned to one queue by a MessageQueueSelector, as RocketMQ's ordered-message producers do.
   */
  private static int sendOrdered(DefaultMQProducer producer, String topic, int orders, int steps, int paceMs) throws InterruptedException {
    MessageQueueSelector byOrder = (mqs, msg, arg) -> mqs.get((Integer) arg % mqs.size());
    int errors = 0;
    for (int step = 0; step < steps; step++) {
      for (int order = 0; order < orders; order++) {
        Message m = new Message(topic, "ordered", ("order-" + order + "-step-" + step).getBytes(StandardCharsets.UTF_8));
        m.setKeys("order-" + order);
        m.putUserProperty("order", Integer.toString(order));
        m.putUserProperty("step", Integer.toString(step));
        int i = step * orders + order;
        m.putUserProperty("idx", Integer.toString(i));
        try {
          report(producer.send(m, byOrder, order), i);
        } catch (Exception e) {
          error(i, e);
          errors++;
        }
      }
      if (paceMs > 0) Thread.sleep(paceMs);
    }
    return errors;
  }

  private static int sendSync(DefaultMQProducer producer, Message m, int i) {
    try {
      report(producer.send(m), i);
      return 0;
    } catch (Exception e) {
      error(i, e);
      return 1;
    }
  }

  /** --retry-busy in async mode: how often and how far apart a send answered SYSTEM_BUSY is sent again. */
  private static final int BUSY_RESENDS = 10;
  private static final long BUSY_BACKOFF_MS = 100;

  private static int sendAsync(DefaultMQProducer producer, int count, java.util.function.IntFunction<Message> messageAt, boolean retryBusy) throws Exception {
    // Bounded in-flight sends, like an application that respects backpressure.
    Semaphore inFlight = new Semaphore(64);
    int[] errors = {0};
    // The 4.x client never retries an async send a broker refused; an application told "busy" backs off and sends
    // again, as this does with --retry-busy.
    ScheduledExecutorService backoff = Executors.newSingleThreadScheduledExecutor();
    try {
      for (int n = 0; n < count; n++) {
        inFlight.acquire();
        sendAsyncOnce(producer, messageAt.apply(n), n, retryBusy ? BUSY_RESENDS : 0, backoff, inFlight, errors);
      }
      if (!inFlight.tryAcquire(64, 60, TimeUnit.SECONDS)) throw new IllegalStateException("async sends did not complete in 60 s");
    } finally {
      backoff.shutdownNow();
    }
    return errors[0];
  }

  private static void sendAsyncOnce(DefaultMQProducer producer, Message m, int i, int resendsLeft, ScheduledExecutorService backoff, Semaphore inFlight, int[] errors) {
    SendCallback callback = new SendCallback() {
      @Override public void onSuccess(SendResult r) {
        report(r, i);
        inFlight.release();
      }

      @Override public void onException(Throwable e) {
        if (resendsLeft > 0 && e instanceof MQBrokerException b && b.getResponseCode() == 2) {
          backoff.schedule(() -> sendAsyncOnce(producer, m, i, resendsLeft - 1, backoff, inFlight, errors), BUSY_BACKOFF_MS, TimeUnit.MILLISECONDS);
          return;
        }
        synchronized (errors) {
          errors[0]++;
        }
        error(i, e);
        inFlight.release();
      }
    };
    try {
      producer.send(m, callback);
    } catch (Exception e) {
      callback.onException(e);
    }
  }

  private static int sendBatch(DefaultMQProducer producer, String topic, int from, int to, List<String> tags, int bodySize) {
    List<Message> batch = new ArrayList<>();
    for (int i = from; i < to; i++) batch.add(message(topic, i, tags, bodySize));
    try {
      SendResult r = producer.send(batch);
      String[] ids = r.getMsgId().split(",");
      String[] offsetIds = r.getOffsetMsgId() == null ? new String[0] : r.getOffsetMsgId().split(",");
      for (int i = from; i < to; i++) {
        Map<String, Object> e = Events.event("sent");
        e.put("i", i);
        e.put("msgId", ids.length == to - from ? ids[i - from] : r.getMsgId());
        e.put("offsetMsgId", offsetIds.length == to - from ? offsetIds[i - from] : r.getOffsetMsgId());
        e.put("queueId", r.getMessageQueue().getQueueId());
        e.put("queueOffset", r.getQueueOffset() + (i - from));
        e.put("broker", r.getMessageQueue().getBrokerName());
        e.put("status", r.getSendStatus().name());
        Events.emit(e);
      }
      return 0;
    } catch (Exception e) {
      for (int i = from; i < to; i++) error(i, e);
      return to - from;
    }
  }

  private static void report(SendResult r, int i) {
    Map<String, Object> e = Events.event("sent");
    e.put("i", i);
    e.put("msgId", r.getMsgId());
    e.put("offsetMsgId", r.getOffsetMsgId());
    e.put("queueId", r.getMessageQueue().getQueueId());
    e.put("queueOffset", r.getQueueOffset());
    e.put("broker", r.getMessageQueue().getBrokerName());
    e.put("status", r.getSendStatus().name());
    Events.emit(e);
  }

  private static void error(int i, Throwable t) {
    Map<String, Object> e = Events.event("error");
    e.put("i", i);
    e.put("message", String.valueOf(t.getMessage()).getBytes(StandardCharsets.UTF_8).length > 2000 ? t.getClass().getName() : String.valueOf(t.getMessage()));
    // The client wraps the broker's answer (its response code and remark) in "Send [n] times, still failed".
    Throwable root = t;
    while (root.getCause() != null) root = root.getCause();
    if (root != t) e.put("cause", String.valueOf(root.getMessage()));
    Events.emit(e);
  }
}
