import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { decompress as zstdDecompress } from 'fzstd';
import { compressFrame as lz4CompressFrame, decompressFrame as lz4DecompressFrame } from 'lz4-napi';
import { compress as snappyCompress, uncompress as snappyUncompress } from 'snappy';

// The record-batch codecs kafkajs does not ship: it reads and writes gzip and
// nothing else, while a collector's kafka exporter may be set to snappy, lz4 or zstd
// (`producer.compression`), and a batch in any of them would stop the source
// on that partition. kafkajs looks codecs up in one process-wide table, so
// registering here makes every consumer in the process read them.
//
//   snappy  the `snappy` package (native, prebuilt per platform). Raw snappy
//           blocks as Go clients (the collector) write them, or the xerial
//           framing Java clients write.
//   lz4     the `lz4-napi` package (native, prebuilt): the LZ4 frame format
//           Kafka has used since record batch v2.
//   zstd    `fzstd`, a pure-JavaScript decoder. Reading only: the Kafka sink
//           writes none, gzip, snappy or lz4.
//
// The Kafka sink registers them too, for `sinks.kafka.compression`.

/** Java clients frame snappy blocks: this magic, a version and a compatible version, then length-prefixed blocks. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

function isXerial(buf: Buffer): boolean {
  return buf.length >= XERIAL_HEADER_BYTES && buf.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);
}

/** Decodes raw or xerial-framed snappy. */
export async function snappyDecode(buf: Buffer): Promise<Buffer> {
  if (!isXerial(buf)) return (await snappyUncompress(buf)) as Buffer;
  const blocks: Buffer[] = [];
  for (let at = XERIAL_HEADER_BYTES; at < buf.length; ) {
    if (at + 4 > buf.length) throw new Error('snappy: truncated xerial block length');
    const length = buf.readUInt32BE(at);
    at += 4;
    if (at + length > buf.length) throw new Error(`snappy: xerial block of ${length} bytes runs past the batch`);
    blocks.push((await snappyUncompress(buf.subarray(at, at + length))) as Buffer);
    at += length;
  }
  return Buffer.concat(blocks);
}

/** Encodes xerial-framed snappy (one block), the framing every Kafka client reads. */
export async function snappyEncode(buf: Buffer): Promise<Buffer> {
  const block = await snappyCompress(buf);
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header);
  header.writeUInt32BE(1, 8);
  header.writeUInt32BE(1, 12);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(block.length);
  return Buffer.concat([header, length, block]);
}

function zstdDecode(buf: Buffer): Buffer {
  const out = zstdDecompress(buf);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

let registered = false;

/** Adds snappy, lz4 and zstd to kafkajs's codec table (once per process). */
export function registerCompressionCodecs(): void {
  if (registered) return;
  registered = true;
  const table = CompressionCodecs as unknown as Record<number, () => Codec>;
  table[CompressionTypes.Snappy] = () => ({
    compress: (encoder) => snappyEncode(encoder.buffer),
    decompress: snappyDecode,
  });
  table[CompressionTypes.LZ4] = () => ({
    compress: (encoder) => lz4CompressFrame(encoder.buffer),
    decompress: (buf) => lz4DecompressFrame(buf),
  });
  table[CompressionTypes.ZSTD] = () => ({
    compress: () => Promise.reject(new Error('zstd: this service reads zstd batches but does not write them')),
    decompress: async (buf) => zstdDecode(buf),
  });
}
