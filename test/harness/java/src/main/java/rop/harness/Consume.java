package rop.harness;

import rop.harness.common.Args;
import rop.harness.common.Events;
import rop.harness.common.Stdin;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.MessageSelector;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.protocol.heartbeat.MessageModel;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;

/** Push and lite-pull consumers that report every delivery until the test closes stdin. */
final class Consume {
  private Consume() {}

  static int push(Args a) throws Exception {
    String instance = a.get("instance", "push-" + ProcessHandle.current().pid());
    // --trace: the client's message trace on (SubBefore/SubAfter records to RMQ_SYS_TRACE_TOPIC, or to --trace-topic)
    DefaultMQPushConsumer consumer = a.getBool("trace", false)
        ? new DefaultMQPushConsumer(a.get("group"), Acl.hook(a), new AllocateMessageQueueAveragely(), true, a.has("trace-topic") ? a.get("trace-topic") : null)
        : new DefaultMQPushConsumer(a.get("group"), Acl.hook(a), new AllocateMessageQueueAveragely());
    consumer.setNamesrvAddr(a.get("namesrv"));
    consumer.setInstanceName(instance);
    consumer.setConsumeFromWhere(from(a));
    if (a.has("namespace")) consumer.setNamespace(a.get("namespace"));
    if (a.getBool("broadcast", false)) consumer.setMessageModel(MessageModel.BROADCASTING);
    if (a.has("sql")) consumer.subscribe(a.get("topic"), MessageSelector.bySql(a.get("sql")));
    else consumer.subscribe(a.get("topic"), a.get("sub", "*"));
    // --fail-times N: every message's first N deliveries fail (RECONSUME_LATER, or for an orderly listener
    // SUSPEND_CURRENT_QUEUE_A_MOMENT), as a flaky listener would.
    int failTimes = a.getInt("fail-times", 0);
    if (a.getBool("orderly", false)) {
      consumer.setSuspendCurrentQueueTimeMillis(a.getInt("suspend-ms", 1000));
      consumer.registerMessageListener((MessageListenerOrderly) (msgs, ctx) -> {
        boolean fail = false;
        for (MessageExt m : msgs) {
          Events.emit(describe(m, instance));
          if (m.getReconsumeTimes() < failTimes) fail = true;
        }
        return fail ? ConsumeOrderlyStatus.SUSPEND_CURRENT_QUEUE_A_MOMENT : ConsumeOrderlyStatus.SUCCESS;
      });
    } else {
      consumer.setConsumeMessageBatchMaxSize(1);
      consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
        boolean fail = false;
        for (MessageExt m : msgs) {
          Events.emit(describe(m, instance));
          if (m.getReconsumeTimes() < failTimes) fail = true;
        }
        return fail ? ConsumeConcurrentlyStatus.RECONSUME_LATER : ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
      });
    }
    if (a.has("max-reconsume")) consumer.setMaxReconsumeTimes(a.getInt("max-reconsume", 16));
    // A cluster test shortens the client's route refresh, so that moving a slot is seen in seconds, not 30 s.
    if (a.has("poll-name-server-ms")) consumer.setPollNameServerInterval(a.getInt("poll-name-server-ms", 30_000));
    if (!started(consumer::start)) return 3;
    Events.emit(Events.event("ready"));
    Stdin.awaitCloseOr(a.getInt("timeout-ms", 120_000));
    consumer.shutdown();
    Events.emit(Events.event("stopped"));
    return 0;
  }

  static int litePull(Args a) throws Exception {
    String instance = a.get("instance", "lite-" + ProcessHandle.current().pid());
    DefaultLitePullConsumer consumer = new DefaultLitePullConsumer(a.get("group"), Acl.hook(a));
    consumer.setNamesrvAddr(a.get("namesrv"));
    consumer.setInstanceName(instance);
    consumer.setConsumeFromWhere(from(a));
    consumer.setAutoCommit(true);
    if (a.has("sql")) consumer.subscribe(a.get("topic"), MessageSelector.bySql(a.get("sql")));
    else consumer.subscribe(a.get("topic"), a.get("sub", "*"));
    if (!started(consumer::start)) return 3;
    Events.emit(Events.event("ready"));
    // A flag, not interruption: poll() swallows interrupts while it waits.
    AtomicBoolean polling = new AtomicBoolean(true);
    Thread poller = new Thread(() -> {
      while (polling.get()) {
        List<MessageExt> msgs = consumer.poll(1000);
        for (MessageExt m : msgs) Events.emit(describe(m, instance));
      }
    });
    poller.setDaemon(true);
    poller.start();
    Stdin.awaitCloseOr(a.getInt("timeout-ms", 120_000));
    // Stop polling before shutting the consumer down: poll() on a stopped consumer throws.
    polling.set(false);
    poller.join(5000);
    consumer.shutdown();
    Events.emit(Events.event("stopped"));
    return 0;
  }

  interface Start {
    void run() throws Exception;
  }

  /** A start the broker refuses (CHECK_CLIENT_CONFIG for an SQL92 subscription) is reported as an event. */
  private static boolean started(Start start) {
    return SqlConsume.start(null, start);
  }

  private static ConsumeFromWhere from(Args a) {
    return "last".equals(a.get("from", "first")) ? ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET : ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET;
  }

  static Map<String, Object> describe(MessageExt m, String instance) {
    Map<String, Object> e = Events.event("msg");
    e.put("msgId", m.getMsgId());
    e.put("offsetMsgId", m instanceof org.apache.rocketmq.common.message.MessageClientExt c ? c.getOffsetMsgId() : m.getMsgId());
    e.put("topic", m.getTopic());
    e.put("queueId", m.getQueueId());
    e.put("queueOffset", m.getQueueOffset());
    e.put("broker", m.getBrokerName());
    e.put("tags", m.getTags());
    e.put("keys", m.getKeys());
    Map<String, String> user = new TreeMap<>();
    for (Map.Entry<String, String> p : m.getProperties().entrySet()) {
      if (!MessageConst.STRING_HASH_SET.contains(p.getKey())) user.put(p.getKey(), p.getValue());
    }
    e.put("props", user);
    e.put("bodyBase64", Main.base64(m.getBody()));
    e.put("reconsumeTimes", m.getReconsumeTimes());
    e.put("delayLevel", m.getDelayTimeLevel());
    e.put("allProps", new TreeMap<>(m.getProperties()));
    e.put("bornTimestamp", m.getBornTimestamp());
    e.put("storeTimestamp", m.getStoreTimestamp());
    e.put("instance", instance);
    e.put("ext", ext(m));
    // Microseconds of wall time, comparable across harness processes on one machine.
    java.time.Instant now = java.time.Instant.now();
    e.put("atMicros", now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000);
    return e;
  }

  /** The MessageExt fields a delivered message carries besides its properties: flags, hosts, transaction ids. */
  private static Map<String, Object> ext(MessageExt m) {
    Map<String, Object> x = new TreeMap<>();
    x.put("sysFlag", m.getSysFlag());
    x.put("flag", m.getFlag());
    x.put("bornHost", String.valueOf(m.getBornHost()));
    x.put("storeHost", String.valueOf(m.getStoreHost()));
    x.put("preparedTransactionOffset", m.getPreparedTransactionOffset());
    x.put("commitLogOffset", m.getCommitLogOffset());
    x.put("transactionId", String.valueOf(m.getTransactionId()));
    return x;
  }
}
