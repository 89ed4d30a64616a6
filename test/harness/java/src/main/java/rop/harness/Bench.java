package rop.harness;

import rop.harness.common.Args;
import rop.harness.common.Events;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;

/**
 * Load for benchmarks: one summary line instead of a line per message, so the harness measures the
 * broker rather than its own output. Latency is send-to-callback, per message.
 */
final class Bench {
  private Bench() {}

  static int produce(Args a) throws Exception {
    int count = a.getInt("count", 100_000);
    int size = a.getInt("body-size", 1024);
    int inFlight = a.getInt("in-flight", 64);
    DefaultMQProducer producer = new DefaultMQProducer(a.get("group", "rop-bench-producer"));
    producer.setNamesrvAddr(a.get("namesrv"));
    producer.setInstanceName("bench-" + ProcessHandle.current().pid());
    producer.setSendMsgTimeout(30_000);
    producer.setRetryTimesWhenSendAsyncFailed(0);
    producer.setCompressMsgBodyOverHowmuch(Integer.MAX_VALUE);
    producer.start();
    byte[] body = new byte[size];
    Arrays.fill(body, (byte) 'x');
    Semaphore window = new Semaphore(inFlight);
    long[] latencyNanos = new long[count];
    AtomicInteger errors = new AtomicInteger();
    long start = System.nanoTime();
    for (int n = 0; n < count; n++) {
      final int i = n;
      window.acquire();
      final long sentAt = System.nanoTime();
      producer.send(new Message(a.get("topic"), "bench", body), new SendCallback() {
        @Override public void onSuccess(SendResult r) {
          latencyNanos[i] = System.nanoTime() - sentAt;
          if (r.getSendStatus() != SendStatus.SEND_OK) errors.incrementAndGet();
          window.release();
        }

        @Override public void onException(Throwable e) {
          latencyNanos[i] = System.nanoTime() - sentAt;
          errors.incrementAndGet();
          window.release();
        }
      });
    }
    if (!window.tryAcquire(inFlight, 120, TimeUnit.SECONDS)) throw new IllegalStateException("sends did not complete in 120 s");
    double seconds = (System.nanoTime() - start) / 1e9;
    producer.shutdown();
    Arrays.sort(latencyNanos);
    Map<String, Object> e = Events.event("produce-summary");
    e.put("count", count);
    e.put("errors", errors.get());
    e.put("seconds", seconds);
    e.put("msgPerSec", count / seconds);
    e.put("mbPerSec", count * (double) size / seconds / 1e6);
    e.put("p50Ms", latencyNanos[count / 2] / 1e6);
    e.put("p99Ms", latencyNanos[(int) (count * 0.99)] / 1e6);
    Events.emit(e);
    return errors.get() == 0 ? 0 : 1;
  }

  static int consume(Args a) throws Exception {
    int count = a.getInt("count", 100_000);
    DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(a.get("group", "rop-bench-consumer"));
    consumer.setNamesrvAddr(a.get("namesrv"));
    consumer.setInstanceName("bench-" + ProcessHandle.current().pid());
    consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
    consumer.setConsumeMessageBatchMaxSize(32);
    consumer.setPullBatchSize(32);
    consumer.subscribe(a.get("topic"), "*");
    CountDownLatch done = new CountDownLatch(count);
    AtomicLong first = new AtomicLong();
    consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
      first.compareAndSet(0, System.nanoTime());
      for (int k = 0; k < msgs.size(); k++) done.countDown();
      return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
    });
    long start = System.nanoTime();
    consumer.start();
    boolean all = done.await(a.getInt("timeout-ms", 120_000), TimeUnit.MILLISECONDS);
    long end = System.nanoTime();
    consumer.shutdown();
    long received = count - done.getCount();
    Map<String, Object> e = Events.event("consume-summary");
    e.put("count", received);
    e.put("complete", all);
    // From the first delivery: group join and rebalance are not throughput.
    double seconds = (end - (first.get() == 0 ? start : first.get())) / 1e9;
    e.put("seconds", seconds);
    e.put("msgPerSec", received / seconds);
    e.put("startupSeconds", ((first.get() == 0 ? end : first.get()) - start) / 1e9);
    Events.emit(e);
    return all ? 0 : 1;
  }
}
