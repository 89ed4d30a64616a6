import type { SendReceipt } from '../../pulsar/producer.js';
import { BoundedMap } from './bounded-map.js';

const entryKey = (ledgerId: number, entryId: number): string => `${ledgerId}:${entryId}`;
/** Entry ends remembered for receipts that come after their end was learned; a receipt lags by far less. */
const KEPT_ENTRIES = 8192;

/**
 * Where the messages of the entries a gateway writes sit in their partition's broker entry index, which is how an
 * append learns its offsets. An entry's index is its last message's. Entry ids within a ledger have no gaps, so an
 * entry's end is the previous entry's plus its own message count: once one end of a ledger is known, the gateway's
 * next entries follow from it without asking anyone. An end is learned from a tail that saw the entry (anyone's),
 * worked out from the entry before (also while that one is still being worked out), or asked of the broker: at once
 * when no tail runs, else after `waitMs` without the tail's answer. Pure RocketMQ traffic asks once per ledger.
 */
export class EntryIndex {
  private readonly ends = new BoundedMap<string, number>(KEPT_ENTRIES);
  /** ledger:entry → its end while that is being worked out, for the entries after it to build on. */
  private readonly pending = new Map<string, Promise<number>>();
  /** ledger:entry → receipts waiting for a tail to see the entry. */
  private readonly waiters = new Map<string, Array<(lastIndex: number) => void>>();

  constructor(
    /** The broker's index of an entry's last message; rejects when the broker has none. */
    private readonly lookUp: (ledgerId: number, entryId: number) => Promise<number>,
    private readonly waitMs: number,
  ) {}

  /** Records the end of an entry (seen by a tail, or worked out) and settles the receipts waiting for it. */
  note(ledgerId: number, entryId: number, lastIndex: number): void {
    const key = entryKey(ledgerId, entryId);
    if ((this.ends.get(key) ?? -1) >= lastIndex) return;
    this.ends.set(key, lastIndex);
    const waiters = this.waiters.get(key);
    if (waiters) {
      this.waiters.delete(key);
      for (const w of waiters) w(lastIndex);
    }
  }

  /** The offset of a message this gateway wrote; `tailing` says whether a tail will see its entry. */
  offsetOf(r: SendReceipt, tailing: boolean): Promise<number> {
    const at = (last: number): number => (r.batchIndex < 0 ? last : last - (r.entryMessages - 1) + r.batchIndex);
    const end = this.endOf(r, tailing);
    return typeof end === 'number' ? Promise.resolve(at(end)) : end.then(at);
  }

  private endOf(r: SendReceipt, tailing: boolean): number | Promise<number> {
    const { ledgerId, entryId, entryMessages } = r;
    const here = entryKey(ledgerId, entryId);
    const known = this.ends.get(here);
    if (known !== undefined) return known;
    const working = this.pending.get(here);
    if (working) return working;
    if (entryId > 0) {
      const before = entryKey(ledgerId, entryId - 1);
      const beforeEnd = this.ends.get(before);
      if (beforeEnd !== undefined) {
        this.note(ledgerId, entryId, beforeEnd + entryMessages);
        return beforeEnd + entryMessages;
      }
      const beforeWorking = this.pending.get(before);
      if (beforeWorking) return this.track(ledgerId, entryId, beforeWorking.then((b) => b + entryMessages, () => this.lookUp(ledgerId, entryId)));
    }
    return this.track(ledgerId, entryId, new Promise<number>((resolve, reject) => {
      const ask = (): void => void this.lookUp(ledgerId, entryId).then(resolve, reject);
      if (!tailing) return ask();
      const timer = setTimeout(() => {
        const list = this.waiters.get(here);
        list?.splice(list.indexOf(seen), 1);
        if (list?.length === 0) this.waiters.delete(here);
        ask();
      }, this.waitMs);
      const seen = (last: number): void => {
        clearTimeout(timer);
        resolve(last);
      };
      const list = this.waiters.get(here) ?? [];
      list.push(seen);
      this.waiters.set(here, list);
    }));
  }

  private track(ledgerId: number, entryId: number, end: Promise<number>): Promise<number> {
    const key = entryKey(ledgerId, entryId);
    this.pending.set(key, end);
    end.then((last) => this.note(ledgerId, entryId, last), () => undefined).finally(() => {
      if (this.pending.get(key) === end) this.pending.delete(key);
    });
    return end;
  }
}
