import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Memory let go since the last collection past which one is asked for. */
const COLLECT_AFTER_BYTES = 64 * 1024 * 1024;
/** A collection asked for waits this long, so that one burst of closes costs one. */
const COLLECT_DELAY_MS = 1000;

let letGoBytes = 0;
let scheduled: NodeJS.Timeout | undefined;
let gc: (() => void) | undefined;

/**
 * Says that `bytes` held for a client (a large frame it never finished) are not needed any more. V8 frees a buffer
 * only when it collects, and it collects as JavaScript allocates more, not as memory is dropped: a gateway left idle
 * after hundreds of MB of abandoned frames would keep them. Past COLLECT_AFTER_BYTES a full collection is asked for,
 * at most one per COLLECT_DELAY_MS.
 */
export function memoryLetGo(bytes: number): void {
  letGoBytes += bytes;
  if (letGoBytes < COLLECT_AFTER_BYTES || scheduled) return;
  scheduled = setTimeout(() => {
    scheduled = undefined;
    letGoBytes = 0;
    collector()();
  }, COLLECT_DELAY_MS).unref();
}

function collector(): () => void {
  if (!gc) {
    // The flag set now gives `gc` to contexts created after it, such as this one.
    if (typeof globalThis.gc !== 'function') setFlagsFromString('--expose-gc');
    gc = typeof globalThis.gc === 'function' ? globalThis.gc : (runInNewContext('gc') as () => void);
  }
  return gc;
}
