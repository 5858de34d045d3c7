// One Avro object container file being written: avsc's BlockEncoder turns
// values into blocks (compressed by the codec), and the blocks go to a
// temporary file in order. Closing makes the file durable (fsync), gives it
// its final name with the sequence range it holds, and makes the rename
// durable (fsync of the directory). Until then the file does not count.

import { once } from 'node:events';
import { open, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import * as avro from 'avsc';
import { finishedFileName, fsyncDir, makeDirs, tmpFileName } from './layout';

export interface ContainerFileOptions {
  /** Absolute directory of the partition. */
  dir: string;
  /** Partition key `<topic>/dt=…/hour=…`. */
  key: string;
  firstSeq: number;
  /** Written to the file header as is: the .avsc text, with its docs. */
  schema: avro.schema.AvroSchema;
  codec: 'null' | 'deflate';
  blockSize: number;
  openedMs: number;
  fsync: boolean;
  /** Called with the size of every chunk once it is written to the file. */
  onBytes: (n: number) => void;
}

export class ContainerFile {
  readonly key: string;
  readonly firstSeq: number;
  readonly openedMs: number;
  lastSeq: number;
  count = 0;
  /** Bytes the encoder has produced so far (blocks still being compressed are not counted yet). */
  bytes = 0;
  /** The first I/O or encoding error; the file is then unusable. */
  error: Error | undefined;

  private readonly tmpPath: string;
  private readonly encoder: avro.streams.BlockEncoder;
  /** Disk writes of the chunks produced so far, in order. */
  private pending: Promise<void> = Promise.resolve();
  /** Resolves when the encoder has taken the last value written. */
  private lastWrite: Promise<void> = Promise.resolve();
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
    this.encoder = new avro.streams.BlockEncoder(options.schema, {
      codec: options.codec,
      blockSize: options.blockSize,
    });
    this.encoder.on('data', (chunk: Buffer) => this.append(chunk));
    this.encoder.on('error', (err: Error) => {
      this.error ??= err;
    });
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

  /** Adds one value (already validated against the schema). */
  write(value: unknown, seq: number): void {
    this.lastWrite = new Promise((resolve) => {
      this.encoder.write(value, (err?: Error | null) => {
        if (err) this.error ??= err;
        resolve();
      });
    });
    this.lastSeq = seq;
    this.count++;
  }

  /** Waits until every value written so far is encoded and every block it completed is in the file. */
  async settle(): Promise<void> {
    await this.lastWrite;
    // A completed block reaches the 'data' listener on a later tick than the
    // write callback; setImmediate runs after those ticks.
    await new Promise((resolve) => setImmediate(resolve));
    await this.pending;
    if (this.error) throw this.error;
  }

  /** Flushes the last block, fsyncs, renames to part-<first>-<last>.avro. Returns the final path. */
  async close(): Promise<string> {
    if (this.closed) throw new Error('container file already closed');
    this.closed = true;
    const ended = once(this.encoder, 'end');
    this.encoder.end();
    try {
      await ended;
    } catch (err) {
      this.error ??= err as Error;
    }
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
    this.encoder.destroy();
    await this.pending;
    await this.handle.close().catch(() => undefined);
  }

  private append(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.pending = this.pending.then(async () => {
      if (this.error) return;
      try {
        let off = 0;
        while (off < chunk.length) {
          const { bytesWritten } = await this.handle.write(chunk, off, chunk.length - off);
          off += bytesWritten;
        }
        this.options.onBytes(chunk.length);
      } catch (err) {
        this.error ??= err as Error;
      }
    });
  }
}
