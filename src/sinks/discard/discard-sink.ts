import type { OutboxEntry, Sink, Topic } from '../../pipeline/contracts';

/**
 * Keeps nothing, counts everything: what `simulate` and the benchmarks write
 * to. Durable at once, so the outbox is pruned as it goes. Optionally keeps
 * the entries it saw, for reports that look inside the records.
 */
export class DiscardSink implements Sink {
  readonly name = 'discard';
  readonly counts = new Map<Topic, number>();
  readonly kept: OutboxEntry[] = [];
  private seq = 0;

  constructor(private readonly keep = false) {}

  async start(): Promise<void> {}
  async shutdown(): Promise<void> {}
  async flush(): Promise<void> {}
  ready(): boolean {
    return true;
  }
  durableSeq(): number {
    return this.seq;
  }
  async write(entries: OutboxEntry[]): Promise<void> {
    for (const e of entries) {
      if (e.seq <= this.seq) continue;
      this.counts.set(e.topic, (this.counts.get(e.topic) ?? 0) + 1);
      if (this.keep) this.kept.push(e);
      this.seq = e.seq;
    }
  }
}
