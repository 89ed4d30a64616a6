package rop.harness5;

import org.apache.rocketmq.client.apis.ClientConfigurationBuilder;
import org.apache.rocketmq.client.apis.StaticSessionCredentialsProvider;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.rocketmq.client.apis.ClientConfiguration;
import rop.harness.common.Args;
import rop.harness.common.Events;

/**
 * Drives Apache RocketMQ's 5.x Java client (gRPC) for the end-to-end tests. Every result is one JSON object per
 * line on stdout, so the Node test runner can assert on exactly what the client saw.
 *
 * Usage: java -jar rop-java5-harness.jar produce|tx-produce|simple-consume|push-consume --endpoints host:port --topic T ... [--tls]
 */
public final class Main {

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
      Events.error(argv[0], e);
      code = 1;
    }
    Events.flush();
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

  /** Plaintext unless --tls: the 5.x client would otherwise speak TLS, its default; signed with --access-key. */
  static ClientConfiguration clientConfiguration(Args a) {
    ClientConfigurationBuilder builder = ClientConfiguration.newBuilder()
        .setEndpoints(a.get("endpoints"))
        .enableSsl(a.has("tls"))
        .setRequestTimeout(Duration.ofMillis(a.getInt("request-timeout-ms", 3000)));
    // --access-key/--secret-key: every call signed MQv2-HMAC-SHA1, as the client signs for an ACL-enabled proxy.
    if (a.has("access-key")) builder.setCredentialProvider(new StaticSessionCredentialsProvider(a.get("access-key"), a.get("secret-key")));
    return builder.build();
  }
}
