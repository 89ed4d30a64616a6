package rop.pulsarharness;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Drives Apache Pulsar's own Java client for the interop tests. Every result is one JSON object per line
 * on stdout; the client's logging (slf4j-simple) goes to stderr only, so the two never mix.
 *
 * Usage: java -jar rop-pulsar-harness.jar produce|consume --service-url pulsar://host:port --topic T ...
 */
public final class Main {
  private static final ObjectMapper JSON = new ObjectMapper();
  // Non-ASCII is escaped as \\uXXXX, so the lines stay ASCII whatever the JVM's default charset is.
  static { JSON.getFactory().configure(JsonGenerator.Feature.ESCAPE_NON_ASCII, true); }
  private static final PrintStream OUT = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
  private static final CountDownLatch STDIN_CLOSED = new CountDownLatch(1);

  private Main() {}

  public static void main(String[] argv) throws Exception {
    if (argv.length == 0) {
      System.err.println("usage: produce|consume --service-url pulsar://host:port --topic T ...");
      System.exit(2);
    }
    quietClientLogging();
    int code;
    try {
      Args args = Args.parse(argv, 1);
      switch (argv[0]) {
        case "produce" -> code = Produce.run(args);
        case "consume" -> code = Consume.run(args);
        default -> {
          System.err.println("unknown subcommand " + argv[0]);
          code = 2;
        }
      }
    } catch (Exception e) {
      Map<String, Object> err = event("error");
      err.put("message", String.valueOf(e));
      emit(err);
      e.printStackTrace(System.err);
      code = 1;
    }
    OUT.flush();
    // Netty and the client's timers are not all daemon threads; leave without waiting for them.
    System.exit(code);
  }

  /** slf4j-simple reads these once, when the first logger is created; anything set with -D wins. */
  private static void quietClientLogging() {
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
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

  /**
   * Watches stdin in the background: when it closes (the test is done with us, or the test process
   * died), long-running commands stop early. Tests spawn the harness with a pipe on stdin.
   */
  static void watchStdin() {
    Thread t = new Thread(() -> {
      try (InputStream in = System.in) {
        while (in.read() >= 0) {
          // drain until EOF
        }
      } catch (Exception ignored) {
        // an error reading stdin means the parent is gone, same as EOF
      }
      STDIN_CLOSED.countDown();
    }, "stdin-watch");
    t.setDaemon(true);
    t.start();
  }

  static boolean stdinClosed() {
    return STDIN_CLOSED.getCount() == 0;
  }

  /** `--key value` pairs; a key may repeat (`--prop a=1 --prop b=2`). */
  static final class Args {
    private final Map<String, List<String>> values = new LinkedHashMap<>();

    static Args parse(String[] argv, int from) {
      Args a = new Args();
      for (int i = from; i < argv.length; i += 2) {
        if (!argv[i].startsWith("--") || i + 1 >= argv.length) throw new IllegalArgumentException("expected --key value at " + argv[i]);
        a.values.computeIfAbsent(argv[i].substring(2), k -> new ArrayList<>()).add(argv[i + 1]);
      }
      return a;
    }

    boolean has(String k) {
      return values.containsKey(k);
    }

    String get(String k) {
      List<String> v = values.get(k);
      if (v == null) throw new IllegalArgumentException("missing --" + k);
      return v.get(v.size() - 1);
    }

    String get(String k, String dflt) {
      return has(k) ? get(k) : dflt;
    }

    int getInt(String k, int dflt) {
      return has(k) ? Integer.parseInt(get(k)) : dflt;
    }

    long getLong(String k, long dflt) {
      return has(k) ? Long.parseLong(get(k)) : dflt;
    }

    boolean getBool(String k, boolean dflt) {
      if (!has(k)) return dflt;
      String v = get(k);
      if (v.equals("true")) return true;
      if (v.equals("false")) return false;
      throw new IllegalArgumentException("--" + k + " takes true or false, not " + v);
    }

    List<String> all(String k) {
      return values.getOrDefault(k, List.of());
    }

    /** Every `--k name=value` as an ordered map. */
    Map<String, String> pairs(String k) {
      Map<String, String> out = new LinkedHashMap<>();
      for (String s : all(k)) {
        int eq = s.indexOf('=');
        if (eq <= 0) throw new IllegalArgumentException("--" + k + " takes name=value, not " + s);
        out.put(s.substring(0, eq), s.substring(eq + 1));
      }
      return out;
    }
  }
}
