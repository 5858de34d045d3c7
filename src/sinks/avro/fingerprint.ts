// The 64-bit Rabin fingerprint the Avro spec calls CRC-64-AVRO. It identifies
// a schema in single-object encoding (and in schema stores that key by it);
// avsc only offers md5/sha-type hashes, so it is computed here. BigInt keeps
// the arithmetic unsigned and exact; it runs once per schema, not per record.

const EMPTY = 0xc15d213aa4d7a795n;
const MASK64 = 0xffffffffffffffffn;

const TABLE: readonly bigint[] = (() => {
  const table: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) {
      // -(fp & 1) is all ones when the low bit is set, so EMPTY is xored in exactly then.
      fp = ((fp >> 1n) ^ (EMPTY & -(fp & 1n))) & MASK64;
    }
    table.push(fp);
  }
  return table;
})();

/** CRC-64-AVRO of `bytes`, as an unsigned 64-bit value. */
export function crc64Avro(bytes: Uint8Array): bigint {
  let fp = EMPTY;
  for (const b of bytes) {
    fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(b)) & 0xffn)]!;
  }
  return fp;
}

/** The fingerprint of a schema's Parsing Canonical Form, as 8 little-endian bytes (single-object encoding order). */
export function fingerprintBytes(canonicalForm: string): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(crc64Avro(Buffer.from(canonicalForm, 'utf8')));
  return out;
}
