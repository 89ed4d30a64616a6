package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// body is message i's body, the same bytes as the Java harness's Main.body: text with non-ASCII characters, then
// bytes outside UTF-8, then 'x' padding up to size.
func body(i, size int) []byte {
	b := append([]byte(fmt.Sprintf("body-%d-ünïcødé-✓-", i)), byte(i&0xff), 0, 0xff, 0x80)
	for len(b) < size {
		b = append(b, 'x')
	}
	return b
}

// message is message i of a run, as the Java harness's Produce.message builds it (test/support/java-harness.ts
// expectedMessage and filterProps recompute it).
func message(topic string, i int, tags []string, bodySize int, filterProps bool) *primitive.Message {
	m := primitive.NewMessage(topic, body(i, bodySize))
	if len(tags) > 0 {
		m.WithTag(tags[i%len(tags)])
	}
	m.WithKeys([]string{fmt.Sprintf("key-%d", i), fmt.Sprintf("k2-%d", i)})
	m.WithProperty("idx", fmt.Sprint(i))
	m.WithProperty("p-utf8", fmt.Sprintf("值-ü-%d", i))
	if filterProps {
		m.WithProperty("a", fmt.Sprint(i%10))
		m.WithProperty("b", fmt.Sprintf("s%d", i%7))
		m.WithProperty("c", fmt.Sprintf("%.1f", float64(i%5)*0.5)) // Java's Double.toString: 0.0 0.5 1.0 1.5 2.0
		if i%3 != 0 {
			m.WithProperty("d", fmt.Sprint(i%4))
		}
	}
	return m
}

var sendStatus = map[primitive.SendStatus]string{
	primitive.SendOK:                "SEND_OK",
	primitive.SendFlushDiskTimeout:  "FLUSH_DISK_TIMEOUT",
	primitive.SendFlushSlaveTimeout: "FLUSH_SLAVE_TIMEOUT",
	primitive.SendSlaveNotAvailable: "SLAVE_NOT_AVAILABLE",
	primitive.SendUnknownError:      "UNKNOWN_ERROR",
}

// produce sends --count messages one by one (sync sends, no retries) and reports every acknowledgement.
func produce(a args) int {
	topic := a.need("topic")
	count := a.getInt("count", 1)
	tags := a.list("tags")
	bodySize := a.getInt("body-size", 0)
	filterProps := a.getBool("filter-props")
	opts := []producer.Option{
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{a.need("namesrv")})),
		producer.WithGroupName(a.str("group", "rop-go-harness-producer")),
		producer.WithInstanceName(fmt.Sprintf("go-harness-%d", os.Getpid())),
		producer.WithRetry(0),
	}
	if a.has("namespace") {
		opts = append(opts, producer.WithNamespace(a.str("namespace", "")))
	}
	p, err := producer.NewDefaultProducer(opts...)
	if err != nil {
		fail("create producer", err)
	}
	if err := p.Start(); err != nil {
		fail("start producer", err)
	}
	errors := 0
	for i := 0; i < count; i++ {
		r, err := p.SendSync(context.Background(), message(topic, i, tags, bodySize, filterProps))
		if err != nil {
			emit(newEvent("error").put("i", i).put("message", err.Error()))
			errors++
			continue
		}
		emit(newEvent("sent").put("i", i).put("msgId", r.MsgID).put("offsetMsgId", r.OffsetMsgID).
			put("queueId", r.MessageQueue.QueueId).put("queueOffset", r.QueueOffset).put("broker", r.MessageQueue.BrokerName).put("status", sendStatus[r.Status]))
	}
	_ = p.Shutdown()
	emit(newEvent("done").put("sent", count-errors).put("errors", errors))
	if errors > 0 {
		return 1
	}
	return 0
}

// pushConsume runs a push consumer (concurrent listener, one message per call) that reports every delivery until
// stdin closes or --timeout-ms passes.
func pushConsume(a args) int {
	instance := a.str("instance", fmt.Sprintf("go-push-%d", os.Getpid()))
	from := consumer.ConsumeFromFirstOffset
	if a.str("from", "first") == "last" {
		from = consumer.ConsumeFromLastOffset
	}
	model := consumer.Clustering
	if a.getBool("broadcast") {
		model = consumer.BroadCasting
	}
	opts := []consumer.Option{
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{a.need("namesrv")})),
		consumer.WithGroupName(a.need("group")),
		consumer.WithInstance(instance),
		consumer.WithConsumeFromWhere(from),
		consumer.WithConsumerModel(model),
		consumer.WithConsumeMessageBatchMaxSize(1),
	}
	if a.has("namespace") {
		opts = append(opts, consumer.WithNamespace(a.str("namespace", "")))
	}
	// The subscription: an SQL92 expression (--sql) or a tag expression (--sub, "*" by default).
	selector := consumer.MessageSelector{Type: consumer.TAG, Expression: a.str("sub", "*")}
	if a.has("sql") {
		if a.has("sub") {
			fail("options", fmt.Errorf("--sql and --sub exclude each other"))
		}
		selector = consumer.MessageSelector{Type: consumer.SQL92, Expression: a.str("sql", "")}
	}
	// --fail-times N: every message's first N deliveries fail (ConsumeRetryLater), as a flaky listener would.
	failTimes := a.getInt("fail-times", 0)
	c, err := consumer.NewPushConsumer(opts...)
	if err != nil {
		fail("create consumer", err)
	}
	err = c.Subscribe(a.need("topic"), selector, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		retry := false
		for _, m := range msgs {
			emit(describe(m, instance))
			if int(m.ReconsumeTimes) < failTimes {
				retry = true
			}
		}
		if retry {
			return consumer.ConsumeRetryLater, nil
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		fail("subscribe", err)
	}
	if err := c.Start(); err != nil {
		fail("start consumer", err)
	}
	emit(newEvent("ready"))
	awaitStdinCloseOr(time.Duration(a.getInt("timeout-ms", 120_000)) * time.Millisecond)
	// Shutdown persists the consumed offsets (UPDATE_CONSUMER_OFFSET, oneway) before it closes the connections.
	_ = c.Shutdown()
	emit(newEvent("stopped"))
	return 0
}

// systemProperties are the property names Apache RocketMQ's Java client 4.9.8 reserves (MessageConst.STRING_HASH_SET);
// every other property is a user property, as the Java harness reports them.
var systemProperties = map[string]bool{}

func init() {
	for _, k := range []string{"ARRIVE_TIME", "BUYER_ID", "CLUSTER", "CONSUME_START_TIME", "CORRECTION_FLAG", "CORRELATION_ID",
		"DELAY", "INNER_MULTI_QUEUE_OFFSET", "INSTANCE_ID", "KEYS", "MAX_OFFSET", "MAX_RECONSUME_TIMES", "MIN_OFFSET",
		"MQ2_FLAG", "MSG_REGION", "MSG_TYPE", "ORIGIN_MESSAGE_ID", "PGROUP", "PUSH_REPLY_TIME", "REAL_QID", "REAL_TOPIC",
		"RECONSUME_TIME", "REPLY_TO_CLIENT", "RETRY_TOPIC", "TAGS", "TRACE_ON", "TRANSFER_FLAG", "TRAN_MSG", "TTL",
		"UNIQ_KEY", "WAIT"} {
		systemProperties[k] = true
	}
}

// nullable is s, or JSON null when empty (the Java client's getTags()/getKeys() are null then).
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// describe is a delivery as the Java harness's Consume.describe reports it.
func describe(m *primitive.MessageExt, instance string) *event {
	user := map[string]string{}
	for k, v := range m.GetProperties() {
		if !systemProperties[k] {
			user[k] = v
		}
	}
	queueID := -1
	if m.Queue != nil {
		queueID = m.Queue.QueueId
	}
	return newEvent("msg").
		put("msgId", m.MsgId).
		put("offsetMsgId", m.OffsetMsgId).
		put("topic", m.Topic).
		put("queueId", queueID).
		put("queueOffset", m.QueueOffset).
		put("broker", brokerOf(m)).
		put("tags", nullable(m.GetTags())).
		put("keys", nullable(m.GetKeys())).
		put("props", user).
		put("bodyBase64", base64.StdEncoding.EncodeToString(m.Body)).
		put("reconsumeTimes", m.ReconsumeTimes).
		put("bornTimestamp", m.BornTimestamp).
		put("storeTimestamp", m.StoreTimestamp).
		put("instance", instance).
		// Microseconds of wall time, comparable across harness processes on one machine.
		put("atMicros", time.Now().UnixMicro())
}

// brokerOf names the broker a message was pulled from: queue ids repeat across brokers.
func brokerOf(m *primitive.MessageExt) interface{} {
	if m.Queue == nil {
		return nil
	}
	return m.Queue.BrokerName
}
