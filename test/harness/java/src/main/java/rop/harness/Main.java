package rop.harness;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Base64;
import rop.harness.common.Args;

/**
 * Drives Apache RocketMQ's Java client for the end-to-end tests. Every result is one JSON object per
 * line on stdout, so the Node test runner can assert on exactly what the client saw; the client's own
 * logging is sent to a temporary directory so it never mixes with that output.
 *
 * Usage: java -jar rop-java-harness.jar produce|push-consume|lite-pull|sql-consume|tx-produce|query|request|respond|bench-produce|bench-consume --key value ...
 */
public final class Main {
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
      case "sql-consume" -> code = SqlConsume.run(args);
      case "tx-produce" -> code = Transactions.produce(args);
      case "query" -> code = Query.run(args);
      case "request" -> code = RequestReply.request(args);
      case "respond" -> code = RequestReply.respond(args);
      case "bench-produce" -> code = Bench.produce(args);
      case "bench-consume" -> code = Bench.consume(args);
      case "acl-sign" -> code = Acl.sign(args);
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
}
