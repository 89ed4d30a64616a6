import { RETRY_PREFIX } from '../broker/broker-context.js';
/** Apache RocketMQ's plain ACL permission bits (acl/common/Permission.java): a rule holds them, a request needs one. */
export const Perm = { DENY: 1, ANY: 2, PUB: 4, SUB: 8 } as const;

/** A permission word as plain_acl.yml writes it, or undefined for a word Apache would read as DENY by mistake. */
export function parsePermWord(word: string): number | undefined {
  switch (word.trim()) {
    case 'DENY': return Perm.DENY;
    case 'PUB': return Perm.PUB;
    case 'SUB': return Perm.SUB;
    case 'PUB|SUB':
    case 'SUB|PUB': return Perm.PUB | Perm.SUB;
    default: return undefined;
  }
}

/** Apache's checkPermission: DENY wins, ANY asks for PUB or SUB, otherwise the needed bit must be owned. */
export function permits(needed: number, owned: number): boolean {
  if ((owned & Perm.DENY) !== 0) return false;
  if ((needed & Perm.ANY) !== 0) return (owned & (Perm.PUB | Perm.SUB)) !== 0;
  return (needed & owned) !== 0;
}

export function permName(perm: number): string {
  if (perm & Perm.ANY) return 'PUB or SUB';
  return [perm & Perm.PUB ? 'PUB' : '', perm & Perm.SUB ? 'SUB' : ''].filter(Boolean).join('|') || 'DENY';
}

/** A group's rights are kept under its retry topic's name (%RETRY%G), as Apache keeps them. */
export { RETRY_PREFIX };
export const groupResource = (group: string): string => RETRY_PREFIX + group;
export const isGroupResource = (resource: string): boolean => resource.startsWith(RETRY_PREFIX);
