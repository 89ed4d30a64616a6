import CRC32C from 'crc-32/crc32c.js';

/** CRC-32C (Castagnoli), as Pulsar checksums frames, as an unsigned 32-bit integer. */
export const crc32c = (data: Uint8Array): number => CRC32C.buf(data) >>> 0;
