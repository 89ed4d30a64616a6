package rop.harness5;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.rocketmq.client.apis.ClientConfiguration;

/**
 * Drives Apache RocketMQ's 5.x Java client (gRPC) for the end-to-end tests. Every result is one JSON object per
 * line on stdout, so the Node test runner can assert on exactly what the client saw.
 *
 * Usage: java -jar rop-java5-harness.jar produce|tx-produce|simple-consume|push-consume --endpoints host:port --topic T ... [--tls]
 */
public final class Main {
  private static final ObjectMapper JSON = new ObjectMapper();
  // UTF-8 whatever the locale: message properties carry non-ASCII text.
  private static final PrintStream OUT = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);

  public static void main(String[] argv) throws Exception {
    if (argv.length == 0) {
      System.err.println("usage: produce|tx-produce|simple-consume|push-consume --endpoints host:port --topic T ...");
      System.exit(2);
    }
    Args args = Args.parse(argv, 1);
    routeClientLogs();
    int code;
    try {
      code = switch (argv[0]) {
        case "produce" -> Produce.run(args);
        case "tx-produce" -> TxProduce.run(args);
        case "simple-consume" -> SimpleConsume.run(args);
        case "push-consume" -> PushConsume.run(args);
        default -> {
          System.err.println("unknown subcommand " + argv[0]);
          yield 2;
        }
      };
    } catch (Exception e) {
      // Mostly a client that did not start (the endpoint refused it); the test reads why from this line.
      error(argv[0], e);
      code = 1;
    }
    OUT.flush();
    // The client's gRPC and scheduler threads are not all daemons; leave without waiting for them.
    System.exit(code);
  }

  /**
   * The client configures its shaded logback from rocketmq.logback.xml, which writes to ~/logs/rocketmq unless
   * rocketmq.log.root says otherwise, and to the console only when mq.consoleAppender.enabled is true. Both are
   * read when the first client class logs, so they are set before any client object exists; a -D given to the JVM wins.
   */
  private static void routeClientLogs() {
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "rop-java5-harness-logs");
    System.getProperties().putIfAbsent("rocketmq.log.root", dir.toString());
    System.getProperties().putIfAbsent("rocketmq.log.level", "warn");
    System.getProperties().putIfAbsent("mq.consoleAppender.enabled", "false");
  }

  /** Plaintext unless --tls: the 5.x client would otherwise speak TLS, its default. */
  static ClientConfiguration clientConfiguration(Args a) {
    return ClientConfiguration.newBuilder()
        .setEndpoints(a.get("endpoints"))
        .enableSsl(a.has("tls"))
        .setRequestTimeout(Duration.ofMillis(a.getInt("request-timeout-ms", 3000)))
        .build();
  }

  /** Returns once stdin reaches its end (the test closed it, or went away) or after `timeoutMs`. */
  static void awaitStdinCloseOr(long timeoutMs) throws InterruptedException {
    Thread reader = new Thread(() -> {
      try {
        System.in.transferTo(OutputStream.nullOutputStream());
      } catch (IOException e) {
        // Unreadable stdin means the parent is gone: the same as its end.
      }
    });
    reader.setDaemon(true);
    reader.start();
    reader.join(timeoutMs);
  }

  static synchronized void emit(Map<String, Object> event) {
    try {
      OUT.println(JSON.writeValueAsString(event));
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  static Map<String, Object> event(String name) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("event", name);
    return m;
  }

  static void error(String during, Throwable t) {
    Map<String, Object> e = event("error");
    e.put("during", during);
    e.put("message", String.valueOf(t));
    Throwable root = t;
    while (root.getCause() != null) root = root.getCause();
    e.put("cause", String.valueOf(root));
    emit(e);
  }

  /** `--key value` pairs; a `--key` followed by another `--key` or by nothing is a flag. */
  static final class Args {
    private final Map<String, String> values = new HashMap<>();

    static Args parse(String[] argv, int from) {
      Args a = new Args();
      for (int i = from; i < argv.length; i++) {
        if (!argv[i].startsWith("--")) throw new IllegalArgumentException("expected --key at " + argv[i]);
        boolean flag = i + 1 >= argv.length || argv[i + 1].startsWith("--");
        a.values.put(argv[i].substring(2), flag ? "true" : argv[++i]);
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
  }
}
