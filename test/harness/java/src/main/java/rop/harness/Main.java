package rop.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Drives Apache RocketMQ's Java client for the end-to-end tests. Every result is one JSON object per
 * line on stdout, so the Node test runner can assert on exactly what the client saw; the client's own
 * logging is sent to a temporary directory so it never mixes with that output.
 *
 * Usage: java -jar rop-java-harness.jar produce|push-consume|lite-pull|tx-produce|query|request|respond|bench-produce|bench-consume --key value ...
 */
public final class Main {
  static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] argv) throws Exception {
    if (argv.length == 0) {
      System.err.println("usage: produce|push-consume|lite-pull --namesrv host:port --topic T ...");
      System.exit(2);
    }
    Args args = Args.parse(argv, 1);
    quietClientLogging();
    // The remoting layer reads its header serialization once, when its classes load.
    if (args.has("serialize")) System.setProperty("rocketmq.serialize.type", args.get("serialize"));
    int code;
    switch (argv[0]) {
      case "produce" -> code = Produce.run(args);
      case "push-consume" -> code = Consume.push(args);
      case "lite-pull" -> code = Consume.litePull(args);
      case "tx-produce" -> code = Transactions.produce(args);
      case "query" -> code = Query.run(args);
      case "request" -> code = RequestReply.request(args);
      case "respond" -> code = RequestReply.respond(args);
      case "bench-produce" -> code = Bench.produce(args);
      case "bench-consume" -> code = Bench.consume(args);
      default -> {
        System.err.println("unknown subcommand " + argv[0]);
        code = 2;
      }
    }
    System.out.flush();
    // Client threads (netty, schedulers) are not all daemons; leave without waiting for them.
    System.exit(code);
  }

  private static void quietClientLogging() throws Exception {
    File logDir = Files.createTempDirectory("rop-harness-logs").toFile();
    logDir.deleteOnExit();
    System.setProperty("rocketmq.client.logRoot", logDir.getAbsolutePath());
    System.setProperty("rocketmq.client.logLevel", "ERROR");
    System.setProperty("rocketmq.client.logUseSlf4j", "false");
  }

  static synchronized void emit(Map<String, Object> event) {
    try {
      System.out.println(JSON.writeValueAsString(event));
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  static Map<String, Object> event(String name) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("event", name);
    return m;
  }

  /** The body of message i: text with non-ASCII characters, then bytes outside UTF-8, then padding. */
  static byte[] body(int i, int size) {
    byte[] text = ("body-" + i + "-ünïcødé-✓-").getBytes(StandardCharsets.UTF_8);
    byte[] raw = {(byte) (i & 0xff), 0, (byte) 0xff, (byte) 0x80};
    int len = Math.max(size, text.length + raw.length);
    byte[] out = new byte[len];
    System.arraycopy(text, 0, out, 0, text.length);
    System.arraycopy(raw, 0, out, text.length, raw.length);
    for (int k = text.length + raw.length; k < len; k++) out[k] = 'x';
    return out;
  }

  static String base64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  /** Blocks until stdin closes (the test is done with us) or the timeout passes. */
  static void awaitStdinCloseOr(long timeoutMs) throws InterruptedException {
    CountDownLatch closed = new CountDownLatch(1);
    Thread t = new Thread(() -> {
      try (InputStream in = System.in) {
        while (in.read() >= 0) {
          // drain until EOF
        }
      } catch (Exception ignored) {
        // an error reading stdin means the parent is gone, same as EOF
      }
      closed.countDown();
    });
    t.setDaemon(true);
    t.start();
    closed.await(timeoutMs, TimeUnit.MILLISECONDS);
  }

  /** `--key value` pairs. */
  static final class Args {
    private final Map<String, String> values = new HashMap<>();

    static Args parse(String[] argv, int from) {
      Args a = new Args();
      for (int i = from; i < argv.length; i += 2) {
        if (!argv[i].startsWith("--") || i + 1 >= argv.length) throw new IllegalArgumentException("expected --key value at " + argv[i]);
        a.values.put(argv[i].substring(2), argv[i + 1]);
      }
      return a;
    }

    boolean has(String k) {
      return values.containsKey(k);
    }

    String get(String k) {
      String v = values.get(k);
      if (v == null) throw new IllegalArgumentException("missing --" + k);
      return v;
    }

    String get(String k, String dflt) {
      return values.getOrDefault(k, dflt);
    }

    int getInt(String k, int dflt) {
      return values.containsKey(k) ? Integer.parseInt(values.get(k)) : dflt;
    }

    boolean getBool(String k, boolean dflt) {
      return values.containsKey(k) ? Boolean.parseBoolean(values.get(k)) : dflt;
    }

    List<String> list(String k) {
      List<String> out = new ArrayList<>();
      if (values.containsKey(k)) for (String s : values.get(k).split(",")) if (!s.isEmpty()) out.add(s);
      return out;
    }
  }
}
