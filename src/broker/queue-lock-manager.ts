/**
 * The locks orderly consumers take on queues (RocketMQ's rebalance locks): a queue is held by one client
 * of a group at a time, a holder renews its locks by locking again, and a lock not renewed within its
 * lifetime lapses, so a consumer that vanished without unlocking blocks its queues for that long at most.
 */
export interface LockedQueue {
  topic: string;
  queueId: number;
}

interface Lock {
  clientId: string;
  renewedAt: number;
}

const queueKey = (q: LockedQueue): string => `${q.topic}\u0000${q.queueId}`;

export class QueueLockManager {
  private readonly groups = new Map<string, Map<string, Lock>>();

  constructor(private readonly lockLifetimeMs: number, private readonly now: () => number = Date.now) {}

  /** Locks or renews each queue for `clientId`; returns the queues it now holds. */
  tryLock<Q extends LockedQueue>(group: string, clientId: string, queues: Q[]): Q[] {
    const locks = this.groupLocks(group);
    const now = this.now();
    return queues.filter((q) => {
      const key = queueKey(q);
      const lock = locks.get(key);
      if (lock && lock.clientId !== clientId && now - lock.renewedAt <= this.lockLifetimeMs) return false;
      locks.set(key, { clientId, renewedAt: now });
      return true;
    });
  }

  /** Releases the queues `clientId` holds; locks held by others are left alone. */
  unlock(group: string, clientId: string, queues: LockedQueue[]): void {
    const locks = this.groups.get(group);
    if (!locks) return;
    for (const q of queues) {
      const key = queueKey(q);
      if (locks.get(key)?.clientId === clientId) locks.delete(key);
    }
    if (locks.size === 0) this.groups.delete(group);
  }

  private groupLocks(group: string): Map<string, Lock> {
    let locks = this.groups.get(group);
    if (!locks) {
      locks = new Map();
      this.groups.set(group, locks);
    }
    return locks;
  }
}
