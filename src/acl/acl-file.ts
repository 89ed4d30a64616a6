import { readFileSync, renameSync, unwatchFile, watch, watchFile, writeFileSync, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import type { Logger } from '../logger.js';
import { accountConfig, AclRuleError, buildAccount, parseAclRules, rulesOf, type AccountConfig, type AclDocument, type AclRules } from './acl-rules.js';

/** How often the file is looked at besides fs.watch events, which some file systems and editors never send. */
const POLL_MS = 1000;

/** Apache's DataVersion of the file: bumped on every change the gateway writes. */
export interface AclVersion {
  timestamp: number;
  counter: number;
}

/** Raised when a change asked for over the wire cannot be made; the rules stay as they were. */
export class AclChangeError extends Error {
  override readonly name = 'AclChangeError';
}

function readRules(path: string): { text: string; rules: AclRules } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AclRuleError(`cannot read it: ${(err as Error).message}`);
  }
  return { text, rules: parseAclRules(text) };
}

/** Reads and checks a plain_acl.yml, throwing an AclRuleError that names what is wrong with it. */
export function checkAclFile(path: string): void {
  readRules(path);
}

/**
 * A plain_acl.yml and the rules it holds now: read at start (a bad file stops the start), read again when it
 * changes (a bad edit keeps the rules in force and is logged), and written back when mqadmin changes accounts or
 * white addresses.
 */
export class AclFile {
  private current: AclRules;
  private text: string;
  private watcher?: FSWatcher;

  /** Reads `path` now; an AclRuleError says what is wrong with it. */
  constructor(readonly path: string, private readonly log: Logger) {
    const { text, rules } = readRules(path);
    this.text = text;
    this.current = rules;
  }

  get rules(): AclRules {
    return this.current;
  }

  get version(): AclVersion {
    const v = this.current.document.dataVersion?.[0];
    return { timestamp: Number(v?.timestamp ?? 0), counter: Number(v?.counter ?? 0) };
  }

  /** Follows changes to the file until `close`. */
  watch(): void {
    const check = () => this.reload();
    try {
      // The directory is watched: editors and `mv` replace the file, which ends a watch on the file itself.
      this.watcher = watch(dirname(this.path), (_event, name) => {
        if (name === null || name === basename(this.path)) check();
      });
      this.watcher.on('error', () => undefined);
    } catch (err) {
      this.log.warn({ path: this.path, err: (err as Error).message }, 'ACL file cannot be watched; polling it');
    }
    watchFile(this.path, { interval: POLL_MS, persistent: false }, check);
  }

  close(): void {
    this.watcher?.close();
    unwatchFile(this.path);
  }

  /** Reads the file again if its text changed; a file that no longer parses leaves the rules as they were. */
  reload(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      this.log.warn({ path: this.path, err: (err as Error).message }, 'ACL file cannot be read; the rules in force stay');
      return;
    }
    if (text === this.text) return;
    // A writer truncates before it writes: an empty file seen while rules were in force is taken for one being
    // written, not for "nobody may do anything" (the next change event or poll reads it again).
    if (text.trim() === '' && this.text.trim() !== '') {
      this.log.warn({ path: this.path }, 'ACL file is empty; the rules in force stay');
      return;
    }
    this.text = text;
    try {
      this.current = parseAclRules(text);
      this.log.info({ path: this.path, accounts: this.current.accounts.size }, 'ACL rules reloaded');
    } catch (err) {
      this.log.warn({ path: this.path, reason: (err as Error).message }, 'ACL file changed but is not valid; the rules in force stay');
    }
  }

  /**
   * Creates the account, or changes the fields given of an existing one, as Apache's updateAccessConfig does:
   * fields left empty keep their value; `admin` is always set.
   */
  updateAccount(change: Partial<AccountConfig> & { accessKey: string }): void {
    const accounts = [...(this.current.document.accounts ?? [])];
    const at = accounts.findIndex((a) => a.accessKey === change.accessKey);
    const merged: Record<string, unknown> = { ...(at >= 0 ? accounts[at] : {}) };
    for (const [k, v] of Object.entries(change)) if (v !== undefined && v !== '') merged[k] = v;
    merged.admin = change.admin === true;
    const account = this.checked(() => accountConfig(merged, `account ${change.accessKey}`));
    this.checked(() => buildAccount(account, `account ${change.accessKey}`));
    if (at >= 0) accounts[at] = account;
    else accounts.push(account);
    this.write({ ...this.current.document, accounts });
  }

  /** Removes the account; false when there is none with that key. */
  deleteAccount(accessKey: string): boolean {
    const accounts = this.current.document.accounts ?? [];
    if (!accounts.some((a) => a.accessKey === accessKey)) return false;
    this.write({ ...this.current.document, accounts: accounts.filter((a) => a.accessKey !== accessKey) });
    return true;
  }

  setGlobalWhiteAddresses(addresses: string[]): void {
    this.write({ ...this.current.document, globalWhiteRemoteAddresses: addresses });
  }

  private checked<T>(build: () => T): T {
    try {
      return build();
    } catch (err) {
      if (err instanceof AclRuleError) throw new AclChangeError(err.message);
      throw err;
    }
  }

  /** Writes the document with the next version (to a temporary file renamed over the old one) and uses it. */
  private write(document: AclDocument): void {
    const { counter } = this.version;
    const next: AclDocument = { ...document, dataVersion: [{ timestamp: Date.now(), counter: counter + 1 }] };
    const rules = this.checked(() => rulesOf(next));
    const text = toYaml(next);
    const temporary = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.tmp`);
    writeFileSync(temporary, text);
    renameSync(temporary, this.path);
    this.text = text;
    this.current = rules;
    this.log.info({ path: this.path, accounts: rules.accounts.size }, 'ACL rules changed and written back');
  }
}
