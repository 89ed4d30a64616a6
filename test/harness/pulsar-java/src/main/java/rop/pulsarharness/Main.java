package rop.pulsarharness;

import java.util.Map;
import rop.harness.common.Args;
import rop.harness.common.Events;

/**
 * Drives Apache Pulsar's own Java client for the interop tests. Every result is one JSON object per line
 * on stdout; the client's logging (slf4j-simple) goes to stderr only, so the two never mix.
 *
 * Usage: java -jar rop-pulsar-harness.jar produce|consume --service-url pulsar://host:port --topic T ...
 */
public final class Main {

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
      Map<String, Object> err = Events.event("error");
      err.put("message", String.valueOf(e));
      Events.emit(err);
      e.printStackTrace(System.err);
      code = 1;
    }
    Events.flush();
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
}
