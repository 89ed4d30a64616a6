import type { RequestGuard } from '../remoting/remoting-server.js';
import { requestCodeName } from '../protocol/request-code.js';
import { checkAccess } from './access-checker.js';
import type { AclFile } from './acl-file.js';
import { NAME_SERVER_READS, remotingNeeds } from './remoting-resources.js';
import { ACCESS_KEY_FIELD, remotingSignedContents, SIGNATURE_FIELD } from './signature.js';
import { clientHost } from './white-address.js';

/** host of a connection's "host:port" remote address */
const hostOf = (remoteAddress: string): string => clientHost(remoteAddress.slice(0, remoteAddress.lastIndexOf(':')));

/** The ACL check of every 4.x request but the name-server reads, against the rules the file holds now. */
export function remotingGuard(file: AclFile): RequestGuard {
  return (req, conn) => {
    if (NAME_SERVER_READS.has(req.code)) return;
    const { needs, adminOnly } = remotingNeeds(req, requestCodeName(req.code) ?? 'unknown');
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
  };
}
