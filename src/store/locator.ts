/**
 * A locator is the 64-bit half of an offsetMsgId that names a message inside this store: a store-wide
 * queue key (19 bits) above the queue offset (low 44 bits), so it resolves without any other index.
 * The top bit stays clear because clients read this half as a signed commit log offset.
 */
const OFFSET_BITS = 44n;
const OFFSET_MASK = (1n << OFFSET_BITS) - 1n;
export const MAX_QUEUE_KEYS = 1 << 19;

export const packLocator = (queueKey: number, offset: number): bigint => (BigInt(queueKey) << OFFSET_BITS) | BigInt(offset);

export function unpackLocator(locator: bigint): { queueKey: number; offset: number } {
  return { queueKey: Number(locator >> OFFSET_BITS), offset: Number(locator & OFFSET_MASK) };
}
