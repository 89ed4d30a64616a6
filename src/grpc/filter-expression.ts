import { EVERYTHING, servedSubscription, SubscriptionError, type Subscription } from '../protocol/subscription.js';
import { BrokerError } from '../errors/broker-error.js';

/** A receive's filter: TAG or SQL (SQL92 on the 4.x side); one that cannot be served is ILLEGAL_FILTER_EXPRESSION. */
export function filterOf(f: { type: string; expression: string } | null | undefined, propertyFilter: boolean): Subscription {
  if (!f) return EVERYTHING;
  const type = f.type === 'SQL' ? 'SQL92' : f.type === 'FILTER_TYPE_UNSPECIFIED' ? 'TAG' : f.type;
  try {
    return servedSubscription(type, type === 'TAG' ? f.expression || '*' : f.expression, propertyFilter);
  } catch (err) {
    if (err instanceof SubscriptionError) throw new BrokerError(err.kind === 'invalid' ? 'illegal-filter' : 'unsupported-filter', err.message);
    throw err;
  }
}
