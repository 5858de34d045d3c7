// One Avro object container file being written (spec: "Object Container
// Files"): a header (magic, the schema text and codec, a random 16-byte sync
// marker), then blocks of records, each block `count, size, data, sync`.
// Records arrive already encoded (OutboxEntry.payload), so this only packs
// their bytes into blocks; each full block is compressed on the libuv thread
// pool (zlib off the event loop), and blocks reach the temporary file in order.
// Closing makes the file durable (fsync), gives it its final name with the
// sequence range it holds, and makes the rename durable (fsync of the
// directory). Until then the file does not count.

import { randomBytes } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateRaw } from 'node:zlib';
import * as avro from 'avsc';
import { finishedFileName, fsyncDir, makeDirs, tmpFileName } from './layout';

const deflateRawAsync = promisify(deflateRaw);

export interface ContainerFileOptions {
  /** Absolute directory of the partition. */
  dir: string;
  /** Partition key `<topic>/dt=…/hour=…`. */
  key: string;
  firstSeq: number;
  /** Written to the file header as is: the .avsc text, with its docs. */
  schema: avro.schema.AvroSchema;
  codec: 'null' | 'deflate';
  /** zlib level for the deflate codec (1 fastest … 9 smallest). */
  deflateLevel: number;
  /** Uncompressed bytes at which a block is finished. */
  blockSize: number;
  openedMs: number;
  fsync: boolean;
  /** Called with the size of every chunk once it is written to the file. */
  onBytes: (n: number) => void;
}

const HEADER = avro.Type.forSchema({
  type: 'record',
  name: 'org.apache.avro.file.Header',
  fields: [
    { name: 'magic', type: { type: 'fixed', name: 'Magic', size: 4 } },
    { name: 'meta', type: { type: 'map', values: 'bytes' } },
    { name: 'sync', type: { type: 'fixed', name: 'Sync', size: 16 } },
  ],
});
const MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]); // "Obj" 1
const LONG = avro.Type.forSchema('long');

export class ContainerFile {
  readonly key: string;
  readonly firstSeq: number;
  readonly openedMs: number;
  lastSeq: number;
  count = 0;
  /** Bytes produced so far (header and finished blocks; the block being filled is not counted yet). */
  bytes = 0;
  /** The first I/O or compression error; the file is then unusable. */
  error: Error | undefined;

  private readonly tmpPath: string;
  private readonly sync = randomBytes(16);
  /** The block being filled: encoded records, their total size. */
  private block: Buffer[] = [];
  private blockBytes = 0;
  /** Disk writes of the chunks produced so far, in order. */
  private pending: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly options: ContainerFileOptions,
    private readonly handle: FileHandle,
  ) {
    this.key = options.key;
    this.firstSeq = options.firstSeq;
    this.lastSeq = options.firstSeq;
    this.openedMs = options.openedMs;
    this.tmpPath = join(options.dir, tmpFileName(options.firstSeq));
    const meta = {
      'avro.schema': Buffer.from(JSON.stringify(options.schema)),
      'avro.codec': Buffer.from(options.codec),
    };
    this.append(Promise.resolve(HEADER.toBuffer({ magic: MAGIC, meta, sync: this.sync })));
  }

  /**
   * Creates the temporary file before anything is written to it, and makes its
   * name durable: after a crash, its name tells recovery where the gap begins.
   */
  static async open(options: ContainerFileOptions): Promise<ContainerFile> {
    await makeDirs(options.dir, options.fsync);
    const handle = await open(join(options.dir, tmpFileName(options.firstSeq)), 'wx');
    try {
      if (options.fsync) await fsyncDir(options.dir);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    return new ContainerFile(options, handle);
  }

  /** Adds one record: its Avro binary encoding under the file's schema. */
  write(payload: Buffer, seq: number): void {
    if (this.closed) throw new Error('container file already closed');
    this.block.push(payload);
    this.blockBytes += payload.length;
    this.lastSeq = seq;
    this.count++;
    if (this.blockBytes >= this.options.blockSize) this.finishBlock();
  }

  /** Waits until every block finished so far is compressed and in the file. */
  async settle(): Promise<void> {
    await this.pending;
    if (this.error) throw this.error;
  }

  /** Writes the last block, fsyncs, renames to part-<first>-<last>.avro. Returns the final path. */
  async close(): Promise<string> {
    if (this.closed) throw new Error('container file already closed');
    this.finishBlock();
    this.closed = true;
    await this.pending;
    if (this.error) {
      await this.handle.close().catch(() => undefined);
      throw this.error;
    }
    if (this.options.fsync) await this.handle.sync();
    await this.handle.close();
    const finalPath = join(this.options.dir, finishedFileName(this.firstSeq, this.lastSeq));
    await rename(this.tmpPath, finalPath);
    if (this.options.fsync) await fsyncDir(this.options.dir);
    return finalPath;
  }

  /** Releases the file descriptor without finishing the file (after a failure); the .tmp stays for recovery. */
  async abandon(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.block = [];
    await this.pending;
    await this.handle.close().catch(() => undefined);
  }

  /** Frames the records gathered so far as one block; compression starts now, on the thread pool. */
  private finishBlock(): void {
    if (this.block.length === 0) return;
    const count = this.block.length;
    const data = Buffer.concat(this.block, this.blockBytes);
    this.block = [];
    this.blockBytes = 0;
    const body = this.options.codec === 'deflate' ? deflateRawAsync(data, { level: this.options.deflateLevel }) : Promise.resolve(data);
    this.append(body.then((b) => Buffer.concat([LONG.toBuffer(count), LONG.toBuffer(b.length), b, this.sync])));
  }

  /** Queues a chunk for the file, after every chunk before it. */
  private append(chunk: Promise<Buffer>): void {
    chunk.catch(() => undefined); // observed below, in order
    this.pending = this.pending.then(async () => {
      if (this.error) return;
      try {
        const buf = await chunk;
        this.bytes += buf.length;
        let off = 0;
        while (off < buf.length) {
          const { bytesWritten } = await this.handle.write(buf, off, buf.length - off);
          off += bytesWritten;
        }
        this.options.onBytes(buf.length);
      } catch (err) {
        this.error ??= err as Error;
      }
    });
  }
}
