package rop.harness.common;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a harness tells its test: one JSON object per line on stdout, the only thing written there. Non-ASCII is
 * escaped (\\uXXXX), so a line reads the same whatever charset the JVM or the test assumes.
 */
public final class Events {
  private static final ObjectMapper JSON = new ObjectMapper();
  static { JSON.getFactory().configure(JsonGenerator.Feature.ESCAPE_NON_ASCII, true); }
  private static final PrintStream OUT = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);

  private Events() {}

  /** A new event named `name`; fields are added to it, then it is emitted. */
  public static Map<String, Object> event(String name) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("event", name);
    return m;
  }

  public static synchronized void emit(Map<String, Object> event) {
    try {
      OUT.println(JSON.writeValueAsString(event));
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  /** An `error` event: what failed, the exception, and its root cause (what a test usually needs to see). */
  public static void error(String during, Throwable t) {
    Map<String, Object> e = event("error");
    e.put("during", during);
    e.put("message", String.valueOf(t));
    Throwable root = t;
    while (root.getCause() != null) root = root.getCause();
    e.put("cause", String.valueOf(root));
    emit(e);
  }

  public static void flush() {
    OUT.flush();
  }
}
