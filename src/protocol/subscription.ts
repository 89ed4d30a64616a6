import { tagsHashCode } from './message-properties.js';
import { compileSql92, SqlFilterError, type SqlFilter } from './sql92/index.js';

/** Apache RocketMQ's ExpressionType: a tag expression, or an SQL92 condition on message properties. */
export type ExpressionType = 'TAG' | 'SQL92';

/** A consumer's subscription of one topic as admin tools show it. */
export interface SubscriptionView {
  topic: string;
  expression: string;
  /** TAG, SQL92, or whatever other type a client declared */
  type: string;
}

/** A TAG-type subscription: `*` (everything) or tags joined by `||`. */
export interface TagSubscription {
  expression: string;
  all: boolean;
  tags: Set<string>;
  codes: Set<number>;
}

/** What a consumer subscribed with, compiled once, matched against each message's properties. */
export interface Subscription {
  readonly type: ExpressionType;
  /** the expression as the client sent it (`*` for an empty tag expression) */
  readonly expression: string;
  /** the tags and their hash codes of a TAG subscription; empty for SQL92 */
  readonly tags: TagSubscription;
  matches(properties: ReadonlyMap<string, string>): boolean;
}

/**
 * Why a subscription cannot be served: `unsupported` for a type this gateway does not filter by (or SQL92 with the
 * property filter off), `invalid` for an expression that does not compile. Each boundary answers it in its own code.
 */
export class SubscriptionError extends Error {
  override readonly name = 'SubscriptionError';
  constructor(readonly kind: 'unsupported' | 'invalid', message: string) {
    super(message);
  }
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

/** Apache RocketMQ's ExpressionType.isTagType: no type at all is a tag expression. */
export const isTagType = (type: string | undefined | null): boolean => type === undefined || type === null || type === '' || type === 'TAG';

const NO_TAGS = parseTagExpression('*');
export const EVERYTHING: Subscription = tagSubscription(NO_TAGS);

function tagSubscription(tags: TagSubscription): Subscription {
  return {
    type: 'TAG',
    expression: tags.expression,
    tags,
    matches: tags.all ? () => true : (properties) => matchesTag(tags, properties.get('TAGS')),
  };
}

function sqlSubscription(filter: SqlFilter): Subscription {
  return {
    type: 'SQL92',
    expression: filter.expression,
    tags: NO_TAGS,
    matches: (properties) => filter.matches((name) => properties.get(name)),
  };
}

/** Compiled subscriptions by type and expression: pulls and receives that carry their own are compiled once. */
const compiled = new Map<string, Subscription | SubscriptionError>();
const MAX_COMPILED = 1024;

/**
 * Compiles a subscription as Apache RocketMQ's FilterAPI and FilterFactory do; the result is kept, so the same
 * expression is parsed once. Throws SubscriptionError.
 */
export function compileSubscription(type: string | undefined | null, expression: string | undefined | null): Subscription {
  if (isTagType(type)) return tagSubscription(parseTagExpression(expression));
  const key = `${String(type)}\n${expression ?? ''}`;
  let result = compiled.get(key);
  if (result === undefined) {
    result = compileFilter(type, expression ?? '');
    // Oldest first: a client cycling through expressions cannot grow the cache.
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, result);
  }
  if (result instanceof SubscriptionError) throw result;
  return result;
}

function compileFilter(type: string | null | undefined, expression: string): Subscription | SubscriptionError {
  if (type !== 'SQL92') return new SubscriptionError('unsupported', `filter expression type ${String(type)} is not supported; use TAG or SQL92`);
  try {
    return sqlSubscription(compileSql92(expression));
  } catch (err) {
    if (err instanceof SqlFilterError) return new SubscriptionError('invalid', `SQL92 expression ${JSON.stringify(expression)} is invalid: ${err.message}`);
    throw err;
  }
}

/** Refuses a subscription other than TAG while the property filter is off (Apache RocketMQ's enablePropertyFilter=false). */
export function requireServed(sub: Subscription, propertyFilter: boolean): Subscription {
  if (sub.type !== 'TAG' && !propertyFilter) throw new SubscriptionError('unsupported', `The broker does not support consumer to filter message by ${sub.type}`);
  return sub;
}

/** A client's own subscription, checked in Apache RocketMQ's order: the property filter's switch, then the expression. */
export function servedSubscription(type: string | undefined | null, expression: string | undefined | null, propertyFilter: boolean): Subscription {
  if (!isTagType(type) && !propertyFilter) throw new SubscriptionError('unsupported', `The broker does not support consumer to filter message by ${String(type)}`);
  return compileSubscription(type, expression);
}
