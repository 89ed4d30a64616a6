package rop.harness.common;

import java.io.InputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Tests spawn a harness with a pipe on its stdin and close it to stop a long-running command; if the test process
 * dies, stdin ends too. A daemon thread reads stdin to its end and records that.
 */
public final class Stdin {
  private static final CountDownLatch CLOSED = new CountDownLatch(1);
  private static boolean watching;

  private Stdin() {}

  public static synchronized void watch() {
    if (watching) return;
    watching = true;
    Thread t = new Thread(() -> {
      try (InputStream in = System.in) {
        byte[] sink = new byte[256];
        while (in.read(sink) >= 0) {
          // Nothing is read from stdin but its end.
        }
      } catch (Exception ignored) {
        // An error reading stdin means the parent is gone, the same as its end.
      }
      CLOSED.countDown();
    }, "stdin-watch");
    t.setDaemon(true);
    t.start();
  }

  public static boolean closed() {
    return CLOSED.getCount() == 0;
  }

  /** Returns once stdin has ended or after `timeoutMs`, whichever comes first. */
  public static void awaitCloseOr(long timeoutMs) throws InterruptedException {
    watch();
    CLOSED.await(timeoutMs, TimeUnit.MILLISECONDS);
  }
}
