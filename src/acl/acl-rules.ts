import { parse as parseYaml } from 'yaml';
import { addressMatcher, AddressPatternError, type AddressMatcher } from './white-address.js';
import { groupResource, parsePermWord, Perm } from './permission.js';

/** Raised for a plain_acl.yml that cannot be used; the message names the problem. */
export class AclRuleError extends Error {
  override readonly name = 'AclRuleError';
}

/** Apache's AclConstants.ACCESS_KEY_MIN_LENGTH and SECRET_KEY_MIN_LENGTH: keys must be longer than this. */
const MIN_KEY_LENGTH = 6;

/** One account of plain_acl.yml, as written there (the shape written back and listed by mqadmin). */
export interface AccountConfig {
  accessKey: string;
  secretKey: string;
  whiteRemoteAddress?: string;
  admin?: boolean;
  defaultTopicPerm?: string;
  defaultGroupPerm?: string;
  topicPerms?: string[];
  groupPerms?: string[];
}

/** The whole file as written there. */
export interface AclDocument {
  globalWhiteRemoteAddresses?: string[];
  accounts?: AccountConfig[];
  dataVersion?: Array<{ timestamp: number; counter: number }>;
  [other: string]: unknown;
}

/** An account ready to check requests against. */
export interface Account {
  readonly accessKey: string;
  readonly secretKey: string;
  readonly white: AddressMatcher;
  readonly admin: boolean;
  readonly defaultTopicPerm: number;
  readonly defaultGroupPerm: number;
  /** topics by name and groups by their retry topic's name (%RETRY%G), as Apache keys them */
  readonly resources: ReadonlyMap<string, number>;
}

export interface AclRules {
  readonly globalWhite: readonly AddressMatcher[];
  readonly accounts: ReadonlyMap<string, Account>;
  readonly document: AclDocument;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringList(value: unknown, where: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' && typeof v !== 'number')) throw new AclRuleError(`${where} must be a list of strings`);
  return value.map(String);
}

function optString(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') throw new AclRuleError(`${where} must be a string`);
  return String(value);
}

/** A default permission: absent means DENY, as Apache reads it; a word it does not know is refused here. */
function defaultPerm(word: string | undefined, where: string): number {
  if (word === undefined) return Perm.DENY;
  const perm = parsePermWord(word);
  if (perm === undefined) throw new AclRuleError(`${where} is ${JSON.stringify(word)}; expected DENY, PUB, SUB or PUB|SUB`);
  return perm;
}

/** `name=PERM` entries of topicPerms or groupPerms (Apache's Permission.checkResourcePerms rules). */
export function resourcePerms(entries: string[] | undefined, where: string): Array<[string, number]> {
  return (entries ?? []).map((entry) => {
    const items = entry.split('=').filter((s) => s !== '');
    const perm = items.length === 2 ? parsePermWord(items[1]!) : undefined;
    if (perm === undefined || items[0]!.trim() === '') throw new AclRuleError(`${where} entry ${JSON.stringify(entry)} must be name=PERM with PERM one of DENY, PUB, SUB, PUB|SUB`);
    return [items[0]!.trim(), perm];
  });
}

function matcher(pattern: string | undefined, where: string): AddressMatcher {
  try {
    return addressMatcher(pattern);
  } catch (err) {
    if (err instanceof AddressPatternError) throw new AclRuleError(`${where}: ${err.message}`);
    throw err;
  }
}

/** Checks one account as written, returning it in its written shape. */
export function accountConfig(raw: unknown, where: string): AccountConfig {
  if (!isRecord(raw)) throw new AclRuleError(`${where} must be a mapping with accessKey and secretKey`);
  const accessKey = optString(raw.accessKey, `${where}.accessKey`);
  const secretKey = optString(raw.secretKey, `${where}.secretKey`);
  if (accessKey === undefined || accessKey.length <= MIN_KEY_LENGTH) throw new AclRuleError(`${where}.accessKey must be longer than ${MIN_KEY_LENGTH} characters`);
  if (secretKey === undefined || secretKey.length <= MIN_KEY_LENGTH) throw new AclRuleError(`${where} (${accessKey}): secretKey must be longer than ${MIN_KEY_LENGTH} characters`);
  if (raw.admin !== undefined && raw.admin !== null && typeof raw.admin !== 'boolean') throw new AclRuleError(`${where} (${accessKey}): admin must be true or false`);
  return {
    accessKey,
    secretKey,
    whiteRemoteAddress: optString(raw.whiteRemoteAddress, `${where}.whiteRemoteAddress`),
    admin: raw.admin === true,
    defaultTopicPerm: optString(raw.defaultTopicPerm, `${where}.defaultTopicPerm`),
    defaultGroupPerm: optString(raw.defaultGroupPerm, `${where}.defaultGroupPerm`),
    topicPerms: stringList(raw.topicPerms, `${where}.topicPerms`),
    groupPerms: stringList(raw.groupPerms, `${where}.groupPerms`),
  };
}

/** An account as written, made ready to check requests against; refuses what Apache would refuse. */
export function buildAccount(c: AccountConfig, where: string): Account {
  const resources = new Map<string, number>();
  for (const [group, perm] of resourcePerms(c.groupPerms, `${where}.groupPerms`)) resources.set(groupResource(group), perm);
  for (const [topic, perm] of resourcePerms(c.topicPerms, `${where}.topicPerms`)) resources.set(topic, perm);
  return {
    accessKey: c.accessKey,
    secretKey: c.secretKey,
    white: matcher(c.whiteRemoteAddress, `${where}.whiteRemoteAddress`),
    admin: c.admin === true,
    defaultTopicPerm: defaultPerm(c.defaultTopicPerm, `${where}.defaultTopicPerm`),
    defaultGroupPerm: defaultPerm(c.defaultGroupPerm, `${where}.defaultGroupPerm`),
    resources,
  };
}

/** Rules from a parsed document; every problem is an AclRuleError naming where it is. */
export function rulesOf(document: unknown): AclRules {
  if (document === null || document === undefined) return { globalWhite: [], accounts: new Map(), document: {} };
  if (!isRecord(document)) throw new AclRuleError('the file must hold a mapping with globalWhiteRemoteAddresses and accounts');
  const white = stringList(document.globalWhiteRemoteAddresses, 'globalWhiteRemoteAddresses') ?? [];
  const globalWhite = white.map((p, i) => matcher(p, `globalWhiteRemoteAddresses[${i}]`));
  if (document.accounts !== undefined && document.accounts !== null && !Array.isArray(document.accounts)) throw new AclRuleError('accounts must be a list');
  const accounts = new Map<string, Account>();
  const configs = ((document.accounts as unknown[] | null | undefined) ?? []).map((raw, i) => accountConfig(raw, `accounts[${i}]`));
  configs.forEach((c, i) => {
    if (accounts.has(c.accessKey)) throw new AclRuleError(`accounts[${i}]: accessKey ${c.accessKey} is listed twice`);
    accounts.set(c.accessKey, buildAccount(c, `accounts[${i}]`));
  });
  return { globalWhite, accounts, document: document as AclDocument };
}

/** Rules from the text of a plain_acl.yml. */
export function parseAclRules(text: string): AclRules {
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new AclRuleError(`not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return rulesOf(parsed);
}
