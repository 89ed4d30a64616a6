package rop.harness;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.AclUtils;
import org.apache.rocketmq.acl.common.SessionCredentials;
import org.apache.rocketmq.remoting.RPCHook;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import rop.harness.common.Args;
import rop.harness.common.Events;

/** Apache's plain ACL on the client side: the signing hook, and its signature of given fields for golden values. */
final class Acl {
  private Acl() {}

  /** AclClientRPCHook with --access-key and --secret-key, or none without them. */
  static RPCHook hook(Args a) {
    if (!a.has("access-key")) return null;
    return new AclClientRPCHook(new SessionCredentials(a.get("access-key"), a.get("secret-key")));
  }

  /**
   * acl-sign --secret-key S --fields k=v;k=v --body TEXT: the signature AclUtils computes over those ext fields and
   * body, as the hook signs a request, printed as {"event":"signature","signature":...}.
   */
  static int sign(Args a) {
    RemotingCommand request = RemotingCommand.createRequestCommand(0, null);
    TreeMap<String, String> fields = new TreeMap<>();
    for (String kv : a.get("fields").split(";")) {
      int eq = kv.indexOf('=');
      fields.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    if (a.has("body")) request.setBody(a.get("body").getBytes(StandardCharsets.UTF_8));
    Map<String, Object> e = Events.event("signature");
    e.put("signature", AclUtils.calSignature(AclUtils.combineRequestContent(request, fields), a.get("secret-key")));
    Events.emit(e);
    return 0;
  }
}
