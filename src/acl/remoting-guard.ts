import type { RemotingCommand } from '../remoting/remoting-command.js';
import type { RequestGuard } from '../remoting/remoting-server.js';
import type { RemotingConnection } from '../remoting/remoting-connection.js';
import { requestCodeName } from '../protocol/request-code.js';
import { checkAccess } from './access-checker.js';
import type { AclFile } from './acl-file.js';
import { NAME_SERVER_READS, remotingNeeds } from './remoting-resources.js';
import { ACCESS_KEY_FIELD, remotingSignedContents, SIGNATURE_FIELD } from './signature.js';
import { clientHost } from './white-address.js';
import { Perm } from './permission.js';
import { BrokerError } from '../errors/broker-error.js';

/** host of a connection's "host:port" remote address */
const hostOf = (remoteAddress: string): string => clientHost(remoteAddress.slice(0, remoteAddress.lastIndexOf(':')));

function check(file: AclFile, req: RemotingCommand, conn: RemotingConnection, needs: ReadonlyMap<string, number>, adminOnly?: string): void {
  checkAccess(file.rules, {
    host: hostOf(conn.remoteAddress),
    accessKey: req.extFields[ACCESS_KEY_FIELD],
    signed: () => {
      const signature = req.extFields[SIGNATURE_FIELD];
      return { contents: remotingSignedContents(req.extFields, req.body), signature: signature ? Buffer.from(signature, 'base64') : undefined };
    },
    needs,
    adminOnly,
  });
}

/** The ACL check of every 4.x request but the name-server reads, against the rules the file holds now. */
export function remotingGuard(file: AclFile): RequestGuard {
  return (req, conn) => {
    if (NAME_SERVER_READS.has(req.code)) return;
    const { needs, adminOnly } = remotingNeeds(req, requestCodeName(req.code) ?? 'unknown');
    check(file, req, conn, needs, adminOnly);
  };
}

/**
 * Whether a route lookup may create its topic: only when signed by an account that may publish or subscribe to it
 * (as a 5.x route query must be), so that no unauthenticated client creates topics through the name-server role.
 */
export function lookupMayCreate(file: AclFile): (topic: string, req: RemotingCommand, conn: RemotingConnection) => boolean {
  return (topic, req, conn) => {
    try {
      check(file, req, conn, new Map([[topic, Perm.ANY]]));
      return true;
    } catch (err) {
      if (err instanceof BrokerError) return false;
      throw err;
    }
  };
}
