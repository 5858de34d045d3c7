// Which offset each partition may commit. The rule that makes the source
// at-least-once: an offset is committed only once the pipeline took (durably)
// the message before it and every earlier message of the partition. Kafka's
// committed offset is "the next offset to read", so after messages up to o
// are done the commit is o + 1.
//
// The tracker allows messages of a partition to finish out of order (the
// source processes them in order today; the rule must not depend on it):
// while any begun message is unfinished, the commit stops at the lowest one.

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read, as Kafka commits it (a decimal string: offsets are int64). */
  offset: string;
}

interface PartitionState {
  topic: string;
  partition: number;
  /** Begun and not finished. */
  inFlight: Set<bigint>;
  /** One past the highest finished offset. */
  doneNext: bigint | undefined;
  /** What the group coordinator has (as far as this process knows). */
  committedNext: bigint | undefined;
}

export class OffsetTracker {
  private readonly parts = new Map<string, PartitionState>();

  /** A message was handed to the pipeline. */
  begin(topic: string, partition: number, offset: string): void {
    this.state(topic, partition).inFlight.add(BigInt(offset));
  }

  /** The pipeline took the message for good (consumed, or dead-lettered). */
  complete(topic: string, partition: number, offset: string): void {
    const s = this.state(topic, partition);
    const o = BigInt(offset);
    s.inFlight.delete(o);
    if (s.doneNext === undefined || o + 1n > s.doneNext) s.doneNext = o + 1n;
  }

  /**
   * The message at `offset` will be fetched again (the pipeline asked for a
   * retry): it and anything begun after it are no longer in flight here.
   */
  rewind(topic: string, partition: number, offset: string): void {
    const s = this.state(topic, partition);
    const o = BigInt(offset);
    for (const x of s.inFlight) if (x >= o) s.inFlight.delete(x);
    // Nothing at or past a message that must be retried may be committed,
    // even if it finished: the retried message comes first.
    if (s.doneNext !== undefined && s.doneNext > o) s.doneNext = o;
  }

  /** The next offset a partition may commit, or undefined if nothing has finished. */
  committable(topic: string, partition: number): bigint | undefined {
    const s = this.parts.get(key(topic, partition));
    if (!s || s.doneNext === undefined) return undefined;
    let next = s.doneNext;
    for (const x of s.inFlight) if (x < next) next = x;
    return next;
  }

  /** Offsets to commit now: partitions whose committable offset moved past what was committed. */
  pending(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const s of this.parts.values()) {
      const next = this.committable(s.topic, s.partition);
      if (next === undefined) continue;
      if (s.committedNext === undefined || next > s.committedNext) out.push({ topic: s.topic, partition: s.partition, offset: next.toString() });
    }
    return out;
  }

  /** The coordinator accepted these commits. */
  committed(offsets: readonly TopicPartitionOffset[]): void {
    for (const c of offsets) {
      const s = this.state(c.topic, c.partition);
      const o = BigInt(c.offset);
      if (s.committedNext === undefined || o > s.committedNext) s.committedNext = o;
    }
  }

  /** After a rebalance: partitions may have moved, and the group restarts from what was committed. */
  reset(): void {
    this.parts.clear();
  }

  /** Messages begun and not finished, over all partitions. */
  inFlight(): number {
    let n = 0;
    for (const s of this.parts.values()) n += s.inFlight.size;
    return n;
  }

  private state(topic: string, partition: number): PartitionState {
    const k = key(topic, partition);
    let s = this.parts.get(k);
    if (!s) {
      s = { topic, partition, inFlight: new Set(), doneNext: undefined, committedNext: undefined };
      this.parts.set(k, s);
    }
    return s;
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
