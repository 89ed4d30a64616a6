package rop.harness.common;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A harness command's options: `--key value` pairs, a key may repeat (`--prop a=1 --prop b=2`, the last one counts
 * for a single value), and a `--key` followed by another `--key` or by nothing is a flag (true).
 */
public final class Args {
  private final Map<String, List<String>> values = new LinkedHashMap<>();

  private Args() {}

  public static Args parse(String[] argv, int from) {
    Args a = new Args();
    for (int i = from; i < argv.length; i++) {
      if (!argv[i].startsWith("--")) throw new IllegalArgumentException("expected --key at " + argv[i]);
      boolean flag = i + 1 >= argv.length || argv[i + 1].startsWith("--");
      a.values.computeIfAbsent(argv[i].substring(2), k -> new ArrayList<>()).add(flag ? "true" : argv[++i]);
    }
    return a;
  }

  public boolean has(String k) {
    return values.containsKey(k);
  }

  public String get(String k) {
    List<String> v = values.get(k);
    if (v == null) throw new IllegalArgumentException("missing --" + k);
    return v.get(v.size() - 1);
  }

  public String get(String k, String dflt) {
    return has(k) ? get(k) : dflt;
  }

  public int getInt(String k, int dflt) {
    return has(k) ? Integer.parseInt(get(k)) : dflt;
  }

  public long getLong(String k, long dflt) {
    return has(k) ? Long.parseLong(get(k)) : dflt;
  }

  public boolean getBool(String k, boolean dflt) {
    if (!has(k)) return dflt;
    String v = get(k);
    if (v.equals("true")) return true;
    if (v.equals("false")) return false;
    throw new IllegalArgumentException("--" + k + " takes true or false, not " + v);
  }

  /** A comma-separated value as its non-empty parts (`--tags A,B`). */
  public List<String> list(String k) {
    List<String> out = new ArrayList<>();
    if (has(k)) for (String s : get(k).split(",")) if (!s.isEmpty()) out.add(s);
    return out;
  }

  /** Every value a repeated key was given. */
  public List<String> all(String k) {
    return values.getOrDefault(k, List.of());
  }

  /** Every `--k name=value` as an ordered map. */
  public Map<String, String> pairs(String k) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String s : all(k)) {
      int eq = s.indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("--" + k + " takes name=value, not " + s);
      out.put(s.substring(0, eq), s.substring(eq + 1));
    }
    return out;
  }
}
