import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './gateway.js';

/** A captured frame from test/fixtures/<set>/, length prefix included. */
export function readHexFrame(set: string, file: string): Buffer {
  return Buffer.from(readFileSync(join(repoRoot, 'test', 'fixtures', set, file), 'utf8').trim(), 'hex');
}

export function readManifest<T>(set: string): T[] {
  return JSON.parse(readFileSync(join(repoRoot, 'test', 'fixtures', set, 'manifest.json'), 'utf8')) as T[];
}
