import { tagsHashCode } from './message-properties.js';

/** A TAG-type subscription: `*` (everything) or tags joined by `||`. */
export interface TagSubscription {
  expression: string;
  all: boolean;
  tags: Set<string>;
  codes: Set<number>;
}

export function parseTagExpression(expression: string | undefined | null): TagSubscription {
  const expr = (expression ?? '').trim();
  if (expr === '' || expr === '*') return { expression: '*', all: true, tags: new Set(), codes: new Set() };
  const tags = new Set(expr.split('||').map((t) => t.trim()).filter((t) => t.length > 0));
  if (tags.size === 0) return { expression: '*', all: true, tags: new Set(), codes: new Set() };
  return { expression: expr, all: false, tags, codes: new Set([...tags].map(tagsHashCode)) };
}

/** Broker-side match: the tags hash first (cheap), then the tag itself so hash collisions never leak messages. */
export function matchesTag(sub: TagSubscription, tag: string | undefined): boolean {
  if (sub.all) return true;
  if (tag === undefined) return false;
  return sub.codes.has(tagsHashCode(tag)) && sub.tags.has(tag);
}
