import { BrokerError } from '../errors/broker-error.js';

const PREFIX = 't1';

/**
 * The transaction id a v5 producer gets for a half message and names when it ends the transaction: where the
 * half message sits (its offset in the half topic and its store locator), so ending needs no lookup table.
 */
export const transactionIdOf = (halfOffset: number, locator: bigint): string => `${PREFIX}:${halfOffset}:${locator}`;

export function parseTransactionId(id: string): { halfOffset: number; locator: bigint } {
  const m = new RegExp(`^${PREFIX}:(\\d{1,15}):(\\d{1,20})$`).exec(id);
  if (!m) throw new BrokerError('invalid-transaction-id', `transaction id ${JSON.stringify(id)} is not one this gateway gave out`);
  return { halfOffset: Number(m[1]), locator: BigInt(m[2]!) };
}
