import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { compressSync as snappyRaw } from 'snappy';
import { registerCompressionCodecs, snappyDecode, snappyEncode } from '../../../src/sinks/kafka/codecs';

// The codecs kafkajs lacks, checked against data written by other
// implementations: the zstd and lz4 reference command-line tools (fixtures
// below, made with `zstd -19` and `lz4` 1.9) and raw snappy blocks as Go
// clients write them. The real collector writing each codec through a real
// broker is test/integration/kafka-codecs.test.ts.

/** The text both fixtures compress. */
const FIXTURE_TEXT =
  'otel-feedback-loop zstd fixture: ' + Array.from({ length: 40 }, (_, i) => `the quick brown fox ${i + 1} jumps over the lazy dog; `).join('');
const ZSTD_FIXTURE = 'KLUv/WSYBs0EAHKHGRlwzQMAgKIIAQoAqCkGABj3NE1TugZA1XkB6zWdMsLnGluu6ZQRPtfYanTKCJ9rbDE6ZYTPNcH42lQ1XOzR99MsUNKsp7fNSI+JVgoEctqP3IFjKE+I7Zqfqpv/CyjFQFR3C1zPHymoEYBz3fp38DUDETQE/w5hhvAr/QuACImZSICQSE8CgMTD7GbezK+Cyww/IEBSA2IH+mE=';
const LZ4_FRAME_FIXTURE = 'BCJNGGRApx0BAADxMm90ZWwtZmVlZGJhY2stbG9vcCB6c3RkIGZpeHR1cmU6IHRoZSBxdWljayBicm93biBmb3ggMSBqdW1wcyBvdmVyIQCRbGF6eSBkb2c7DgAMLwAfMi8AGx8zLwAbHzQvABsfNS8AGx82LwAbHzcvABsfOC8AGx85LwAbLzEwMAAcD9gBHB8x2QEcHzHaARwfMdsBHB8x3AEcHzHdARwfMd4BHB8x3wEcHzHgARwfMuABHB8y4AEcHzLgARwfMuABHB8y4AEcHzLgARwfMuABHB8y4AEcHzLgARwfMuABHB8z4AEcHzPgARwfM+ABHB8z4AEcHzPgARwfM+ABHB8z4AEcHzPgARwfM+ABHB8z4AEcHzTgAQNQZG9nOyAAAAAArXWNUg==';

type Codec = { compress(e: { buffer: Buffer }): Promise<Buffer>; decompress(b: Buffer): Promise<Buffer> };
function codec(type: CompressionTypes): Codec {
  registerCompressionCodecs();
  return (CompressionCodecs as unknown as Record<number, () => Codec>)[type]!();
}

describe('Kafka record-batch codecs', () => {
  const payload = Buffer.concat([Buffer.from(FIXTURE_TEXT.repeat(50)), randomBytes(3000)]);

  it('snappy: reads raw blocks (Go clients) and xerial-framed ones (Java clients), and writes the framed form', async () => {
    const snappy = codec(CompressionTypes.Snappy);
    assert.deepEqual(await snappy.decompress(snappyRaw(payload)), payload);
    const framed = await snappyEncode(payload);
    assert.equal(framed.subarray(1, 7).toString('latin1'), 'SNAPPY');
    assert.deepEqual(await snappy.decompress(framed), payload);
    assert.deepEqual(await snappy.decompress(await snappy.compress({ buffer: payload })), payload);
  });

  it('snappy: a framed batch of several blocks decodes to their concatenation', async () => {
    const a = Buffer.from('first block, ');
    const b = Buffer.from('second block');
    const block = (x: Buffer) => {
      const c = snappyRaw(x);
      const len = Buffer.alloc(4);
      len.writeUInt32BE(c.length);
      return Buffer.concat([len, c]);
    };
    const header = (await snappyEncode(Buffer.alloc(0))).subarray(0, 16);
    assert.equal((await snappyDecode(Buffer.concat([header, block(a), block(b)]))).toString(), 'first block, second block');
  });

  it('snappy: a truncated framed batch is an error, not a short batch', async () => {
    const framed = await snappyEncode(payload);
    await assert.rejects(snappyDecode(framed.subarray(0, framed.length - 10)), /runs past the batch/);
    await assert.rejects(snappyDecode(framed.subarray(0, 18)), /truncated xerial block length/);
  });

  it('lz4: reads a frame written by the reference lz4 tool, and round-trips its own', async () => {
    const lz4 = codec(CompressionTypes.LZ4);
    assert.equal((await lz4.decompress(Buffer.from(LZ4_FRAME_FIXTURE, 'base64'))).toString(), FIXTURE_TEXT);
    assert.deepEqual(await lz4.decompress(await lz4.compress({ buffer: payload })), payload);
  });

  it('zstd: reads a frame written by the reference zstd tool, and two frames back to back', async () => {
    const zstd = codec(CompressionTypes.ZSTD);
    const frame = Buffer.from(ZSTD_FIXTURE, 'base64');
    assert.equal((await zstd.decompress(frame)).toString(), FIXTURE_TEXT);
    assert.equal((await zstd.decompress(Buffer.concat([frame, frame]))).toString(), FIXTURE_TEXT + FIXTURE_TEXT);
  });

  it('zstd: corrupt input is an error; writing zstd is refused with a clear message', async () => {
    const zstd = codec(CompressionTypes.ZSTD);
    const frame = Buffer.from(ZSTD_FIXTURE, 'base64');
    await assert.rejects(zstd.decompress(Buffer.concat([frame.subarray(0, 4), Buffer.alloc(40, 0xff)])));
    await assert.rejects(zstd.compress({ buffer: payload }), /reads zstd batches but does not write them/);
  });

  it('leaves gzip to kafkajs', async () => {
    registerCompressionCodecs();
    const gzip = (CompressionCodecs as unknown as Record<number, () => Codec>)[CompressionTypes.GZIP]!();
    assert.deepEqual(await gzip.decompress(await gzip.compress({ buffer: payload })), payload);
  });
});
