import { rmSync } from 'node:fs';
import { StateStore, type Batch, type StoreOptions } from '../stages/join/store';

// A partition's state store that remembers every change since the last
// commit, so the partition runner can write them to the changelog topic in
// the same Kafka transaction as the records they produced and the offsets
// they consumed. The join stage and the outbox use it exactly like the plain
// store: every mutation goes through write(batch), so nothing escapes.
//
// Only the latest value of a key matters on a compacted changelog, so
// changes are kept per key (last write wins): a window updated fifty times
// between commits is one changelog record, not fifty.

/** Outbox entries are born and (in this mode) delivered within one transaction: see TransactionSink. */
const OUTBOX_PREFIX = 'o!';

export class ChangeLoggingStore extends StateStore {
  /** Key → new value, or null for a deletion; in first-change order. */
  private changes = new Map<string, Buffer | null>();
  /** Outbox keys created since the last take(): a put and a delete of one of them cancel out. */
  private born = new Set<string>();

  constructor(path: string, options: StoreOptions) {
    super(path, options);
  }

  /** Deletes a store's files: the next open starts empty (before a restore from the beginning). */
  static wipe(path: string): void {
    rmSync(path, { recursive: true, force: true });
  }

  override async write(batch: Batch): Promise<void> {
    if (batch.length === 0) return;
    // Recorded before the write, in call order, which is the order LevelDB
    // applies batches in. If the write fails the partition is reset from the
    // changelog anyway (see PartitionTask), so a recorded-but-failed change
    // is never committed.
    for (const op of batch) {
      if (op.type === 'put') {
        if (op.key.startsWith(OUTBOX_PREFIX) && !this.changes.has(op.key)) this.born.add(op.key);
        this.changes.set(op.key, op.value);
      } else if (this.born.has(op.key)) {
        this.born.delete(op.key);
        this.changes.delete(op.key);
      } else {
        this.changes.set(op.key, null);
      }
    }
    await super.write(batch);
  }

  /** Writes restored changelog records: not recorded again. */
  async applyRestored(batch: Batch): Promise<void> {
    await super.write(batch);
  }

  /** Changes since the last take, and forgets them. */
  take(): Map<string, Buffer | null> {
    const out = this.changes;
    this.changes = new Map();
    this.born = new Set();
    return out;
  }

  pendingChanges(): number {
    return this.changes.size;
  }
}
