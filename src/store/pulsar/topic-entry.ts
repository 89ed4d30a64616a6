import type { TopicConfig } from '../message-store.js';
import { MAX_QUEUE_KEYS } from '../locator.js';
import type { PulsarAdmin } from '../../pulsar/admin.js';

/** A topic's config plus the store-wide key of each of its queues (the queue's part of every locator). */
export interface TopicEntry extends TopicConfig {
  queueKeys: number[];
}

/**
 * Where a deleted topic's queue keys are kept for good, under its table key: locators handed out for it must
 * never find the messages of a topic created later, so no later topic may take those keys.
 */
export const retiredKey = (key: string): string => `retired:${key}`;

/**
 * The topics table's write rule, applied by every gateway to every write in log order: a delete always
 * passes; a write passes when its queue keys are distinct, none is used by another entry (but a topic's
 * retired entry takes over the keys of the topic being deleted), and the entry's stored keys are an unchanged
 * prefix of them (queues may be added, never re-keyed or dropped, since locators handed out earlier carry
 * those keys).
 */
export function topicWriteAccepted(state: ReadonlyMap<string, TopicEntry>, key: string, next: TopicEntry | undefined): boolean {
  if (next === undefined) return true;
  const keys = next.queueKeys;
  if (!Array.isArray(keys) || keys.some((k) => !Number.isInteger(k) || k < 0 || k >= MAX_QUEUE_KEYS)) return false;
  const wanted = new Set(keys);
  if (wanted.size !== keys.length) return false;
  const stored = state.get(key)?.queueKeys ?? [];
  if (keys.length < stored.length || stored.some((k, i) => keys[i] !== k)) return false;
  for (const [other, t] of state) {
    if (other !== key && key !== retiredKey(other) && t.queueKeys.some((k) => wanted.has(k))) return false;
  }
  return true;
}

/** The smallest queue key that no entry (live or retired) holds and that is not in `taken`. */
export function freeQueueKey(entries: Iterable<[string, TopicEntry]>, taken: Iterable<number>): number {
  const used = new Set(taken);
  for (const [, t] of entries) for (const k of t.queueKeys) used.add(k);
  for (let key = 0; key < MAX_QUEUE_KEYS; key++) if (!used.has(key)) return key;
  throw new Error(`the Pulsar store holds at most ${MAX_QUEUE_KEYS} queues`);
}

const GROW_ATTEMPTS = 5;

/** Makes the partitioned topic have at least `wanted` partitions; `found` is how many it had before. */
export async function ensurePartitions(admin: PulsarAdmin, path: string, wanted: number): Promise<{ found: number; partitions: number }> {
  const found = await admin.partitionCount(path).catch(() => 0);
  let partitions = found;
  if (partitions === 0) {
    await admin.ensurePartitionedTopic(path, wanted);
    partitions = await admin.partitionCount(path);
    if (partitions === 0) {
      throw new Error(`Pulsar topic ${path} exists but is not partitioned; a RocketMQ topic needs a partitioned topic (one partition per queue)`);
    }
  }
  // Gateways growing the same topic at once race inside Pulsar: one may fail, or a smaller count land last
  // and leave the larger one's partitions behind, which only a forced grow gets past. So grow until the
  // count read back is enough.
  for (let attempt = 1; partitions < wanted; attempt++) {
    await admin.updatePartitions(path, wanted, attempt > 1).catch((err: unknown) => {
      if (attempt >= GROW_ATTEMPTS) throw err;
    });
    partitions = await admin.partitionCount(path);
    if (partitions < wanted) {
      if (attempt >= GROW_ATTEMPTS) throw new Error(`Pulsar topic ${path} has ${partitions} partitions after growing it to ${wanted}`);
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
  return { found, partitions };
}
