import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SubscriptionGroupConfig } from '../message-store.js';
import { writeFileAtomically } from './atomic-file.js';

/** Subscription group configs in one JSON file, rewritten atomically on every change (changes are rare). */
export class SubscriptionGroupTable {
  private readonly groups = new Map<string, SubscriptionGroupConfig>();
  private readonly path: string;

  constructor(dir: string) {
    this.path = join(dir, 'subscription-groups.json');
  }

  open(): void {
    if (!existsSync(this.path)) return;
    for (const g of JSON.parse(readFileSync(this.path, 'utf8')) as SubscriptionGroupConfig[]) this.groups.set(g.groupName, g);
  }

  get(name: string): SubscriptionGroupConfig | undefined {
    return this.groups.get(name);
  }

  list(): SubscriptionGroupConfig[] {
    return [...this.groups.values()];
  }

  put(config: SubscriptionGroupConfig): void {
    this.groups.set(config.groupName, config);
    this.save();
  }

  delete(name: string): void {
    if (this.groups.delete(name)) this.save();
  }

  private save(): void {
    writeFileAtomically(this.path, JSON.stringify(this.list(), null, 1));
  }
}
