// Entry point for pulsar-perf's produce/consume/read commands, run by bench/pulsar-perf.mjs as a single-file source
// program (java -cp '.cache/pulsar-perf/lib/*' bench/PulsarPerfMain.java produce ...).
//
// Why not pulsar-testclient's own PulsarPerfTestTool: in 4.0.x it instantiates every command, including the
// broker-side ones (managed-ledger, simulation-*, monitor-brokers), and those need pulsar-broker's classes, whose
// dependency tree the Maven mirror here cannot resolve at 4.0.x. The produce/consume/read commands need only the
// client, so this runs them directly. It also skips the tool's CONF_FILE_PATH first argument: every setting is a flag.
import java.util.Arrays;
import org.apache.pulsar.testclient.CmdBase;
import org.apache.pulsar.testclient.PerfClientUtils;
import org.apache.pulsar.testclient.PerformanceConsumer;
import org.apache.pulsar.testclient.PerformanceProducer;
import org.apache.pulsar.testclient.PerformanceReader;

public class PulsarPerfMain {
  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: PulsarPerfMain produce|consume|read [pulsar-perf options] (--help for each)");
      System.exit(2);
    }
    CmdBase command;
    switch (args[0]) {
      case "produce": command = new PerformanceProducer(); break;
      case "consume": command = new PerformanceConsumer(); break;
      case "read": command = new PerformanceReader(); break;
      default:
        System.err.println("unknown command: " + args[0]);
        System.exit(2);
        return;
    }
    boolean ok = command.run(Arrays.copyOfRange(args, 1, args.length));
    PerfClientUtils.exit(ok ? 0 : 1);
  }
}
