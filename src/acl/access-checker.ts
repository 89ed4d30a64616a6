import { BrokerError } from '../errors/broker-error.js';
import type { Account, AclRules } from './acl-rules.js';
import { isGroupResource, Perm, permits, permName, RETRY_PREFIX } from './permission.js';
import { hmacSha1, sameSignature } from './signature.js';

/** Apache's TopicValidator.RMQ_SYS_TRACE_TOPIC: tracing publishes there whatever the account may do. */
const TRACE_TOPIC = 'RMQ_SYS_TRACE_TOPIC';

/** One request as the ACL sees it, whichever protocol it came by. */
export interface AccessRequest {
  /** the client's IP address, without port */
  host: string;
  accessKey?: string;
  /** what the client may have signed and the signature it sent (bytes), worked out only when needed */
  signed: () => { contents: Buffer[]; signature: Buffer | undefined };
  /** each resource it touches (a topic, or a group as %RETRY%G) with the permission it needs */
  needs: ReadonlyMap<string, number>;
  /** why only an admin account may make it, when so */
  adminOnly?: string;
}

const what = (resource: string): string => (isGroupResource(resource) ? `group ${resource.slice(RETRY_PREFIX.length)}` : `topic ${resource}`);

/** A client's key as a remark may carry it: an unknown one may be anything, of any length. */
const quoted = (key: string): string => JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);

/**
 * Apache's PlainPermissionManager.validate: a globally white-listed address passes; otherwise the access key must
 * name an account; an address white-listed for that account passes; otherwise the signature must match the
 * account's secret and the account must hold each permission needed. Credentials that fail are 'unauthorized',
 * rights that fall short 'forbidden'.
 */
export function checkAccess(rules: AclRules, req: AccessRequest): void {
  if (rules.globalWhite.some((m) => m(req.host))) return;
  if (!req.accessKey) throw new BrokerError('unauthorized', `no AccessKey: ${req.host} is not white-listed, so requests must be signed`);
  const account = rules.accounts.get(req.accessKey);
  if (!account) throw new BrokerError('unauthorized', `no ACL account for AccessKey ${quoted(req.accessKey)}`);
  if (account.white(req.host)) return;
  const { contents, signature } = req.signed();
  if (!signature || !contents.some((content) => sameSignature(hmacSha1(content, account.secretKey), signature))) {
    throw new BrokerError('unauthorized', `signature check failed for AccessKey ${req.accessKey}`);
  }
  if (req.needs.get(TRACE_TOPIC) === Perm.PUB) return;
  checkRights(account, req);
}

function checkRights(account: Account, req: AccessRequest): void {
  if (req.adminOnly && !account.admin) throw new BrokerError('forbidden', `${req.adminOnly} needs an admin account, and AccessKey ${account.accessKey} is not one`);
  // Apache lets an admin account without any listed resource do anything.
  if (account.admin && account.resources.size === 0) return;
  for (const [resource, needed] of req.needs) {
    const listed = account.resources.get(resource);
    const owned = listed ?? (isGroupResource(resource) ? account.defaultGroupPerm : account.defaultTopicPerm);
    if (!permits(needed, owned)) {
      throw new BrokerError('forbidden', `AccessKey ${account.accessKey} has no ${permName(needed)} permission on ${what(resource)}${listed === undefined ? ' (by its default)' : ''}`);
    }
  }
}
