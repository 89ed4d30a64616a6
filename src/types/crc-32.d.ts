declare module 'crc-32/crc32c.js' {
  const CRC32C: {
    /** CRC-32C (Castagnoli) of `data`, continuing from `seed`; the result is a signed 32-bit integer. */
    buf(data: Uint8Array, seed?: number): number;
  };
  export default CRC32C;
}
