import { mkdirSync } from 'node:fs';
import { serialize, deserialize } from 'node:v8';
import { ClassicLevel } from 'classic-level';
import { FeedbackLoopError, ERROR_CODES } from '../../pipeline/errors';

// The join's durable state, in one LevelDB database so that a window's update,
// its index entries and the records it emits are written in ONE atomic batch.
// That atomicity is what makes "kill -9 loses nothing acknowledged, and emits
// nothing twice" hold: a batch is either entirely in the log or not at all.
//
// Why LevelDB (classic-level): an embedded LSM store with atomic batches and
// ordered iteration (needed for the expiry index and the outbox), a bounded
// block cache (memory does not grow with the number of windows, unlike an
// mmap'd B-tree whose touched pages count toward RSS), and prebuilt binaries
// shipped inside the npm package (no compiler or download at install time).
//
// Key spaces (one-letter prefixes keep keys short and ranges contiguous):
//   w!<key>              window state: heads, signals, times (small, rewritten on updates)
//   c!<key>!<part>       window content: the interaction ("i") and each content
//                        fragment ("f<sequence>.<time>"), written once, read at emit
//   a!<trace>:<span>     alias: span context → request id
//   x!<deadline>!<key>   processing-time expiry index
//   e!<deadline>!<key>   event-time expiry index
//   y!<deadline>!<key>   expiry of a closed window's tombstone (kept under w!<key>
//                        for late-data detection until late_retention passes)
//   s!<session>          last interaction per session (implicit signals)
//   o!<seq>              outbox: records awaiting their sink
//   m!<name>             metadata (sequence counter)

export type Batch = Array<{ type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string }>;

export const KEY = {
  window: (k: string) => `w!${k}`,
  content: (k: string, part: string) => `c!${k}!${part}`,
  alias: (spanKey: string) => `a!${spanKey}`,
  expiry: (deadlineMs: number, k: string) => `x!${pad(deadlineMs)}!${k}`,
  eventExpiry: (deadlineMs: number, k: string) => `e!${pad(deadlineMs)}!${k}`,
  tombstoneExpiry: (deadlineMs: number, k: string) => `y!${pad(deadlineMs)}!${k}`,
  session: (s: string) => `s!${s}`,
  outbox: (seq: number) => `o!${pad(seq)}`,
  meta: (name: string) => `m!${name}`,
} as const;

/** Zero-padded so that lexicographic order is numeric order. */
function pad(n: number): string {
  return Math.max(0, Math.floor(n)).toString().padStart(16, '0');
}

/** The key a deadline index entry points at, and its deadline. */
export function parseIndexKey(indexKey: string): { deadlineMs: number; key: string } {
  return { deadlineMs: Number(indexKey.slice(2, 18)), key: indexKey.slice(19) };
}

export function parseOutboxKey(k: string): number {
  return Number(k.slice(2));
}

export const encode = (value: unknown): Buffer => serialize(value);
export const decode = <T>(buf: Buffer): T => deserialize(buf) as T;

export interface StoreOptions {
  /** fsync each batch: survives power loss, not just process death. */
  sync: boolean;
  /** LevelDB memtable size. Larger means fewer level-0 files and fewer write stalls under load. */
  writeBufferBytes?: number;
  /** LevelDB block cache. */
  cacheBytes?: number;
}

export class StateStore {
  private readonly db: ClassicLevel<string, Buffer>;
  private opened = false;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly options: StoreOptions,
  ) {
    this.db = new ClassicLevel<string, Buffer>(path, {
      keyEncoding: 'utf8',
      valueEncoding: 'buffer',
      // Bounded memory however many windows are open.
      cacheSize: options.cacheBytes ?? 16 * 1024 * 1024,
      writeBufferSize: options.writeBufferBytes ?? 64 * 1024 * 1024,
      compression: true,
    });
  }

  async open(): Promise<void> {
    mkdirSync(this.path, { recursive: true });
    try {
      await this.db.open();
      this.opened = true;
    } catch (err) {
      throw new FeedbackLoopError(ERROR_CODES.STORE_UNAVAILABLE, `cannot open state store at ${this.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  isOpen(): boolean {
    return this.opened;
  }

  async close(): Promise<void> {
    if (!this.opened) return;
    this.opened = false;
    await this.db.close();
  }

  /**
   * Runs read-modify-write sections one at a time, in call order. Every
   * mutation of windows and the outbox goes through here, so two requests
   * touching the same request id cannot lose each other's update.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const v = await this.db.get(key);
    return v === undefined ? undefined : decode<T>(v);
  }

  async getMany<T>(keys: string[]): Promise<Array<T | undefined>> {
    if (keys.length === 0) return [];
    const vs = await this.db.getMany(keys);
    return vs.map((v) => (v === undefined ? undefined : decode<T>(v)));
  }

  async write(batch: Batch): Promise<void> {
    if (batch.length === 0) return;
    // The chained form hands each operation straight to the native batch; the
    // array form clones and re-validates every operation object first (about
    // a fifth of the store's CPU on the join's batches, see README Performance).
    const chained = this.db.batch();
    for (const op of batch) {
      if (op.type === 'put') chained.put(op.key, op.value);
      else chained.del(op.key);
    }
    await chained.write({ sync: this.options.sync });
  }

  /** Keys (and values) in [gte, lt), in order, at most `limit`. */
  async range(gte: string, lt: string, limit: number): Promise<Array<[string, Buffer]>> {
    // all() reads in native batches; `for await` pays a promise per entry.
    return this.db.iterator({ gte, lt, limit }).all();
  }

  async keys(gte: string, lt: string, limit: number): Promise<string[]> {
    return this.db.keys({ gte, lt, limit }).all();
  }

  /** Last key in [gte, lt), or undefined. */
  async lastKey(gte: string, lt: string): Promise<string | undefined> {
    for await (const k of this.db.keys({ gte, lt, reverse: true, limit: 1 })) return k;
    return undefined;
  }

  /** Approximate count of keys with a prefix; exact but O(n): for tests and startup gauges only. */
  async count(prefix: string): Promise<number> {
    let n = 0;
    for await (const _ of this.db.keys({ gte: prefix, lt: prefix + '\xff' })) n++;
    return n;
  }
}
