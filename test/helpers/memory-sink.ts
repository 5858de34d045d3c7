import type { OutboxEntry, Sink } from '../../src/pipeline/contracts';

/** An in-memory Sink for unit tests: durable as soon as flushed (or at once if `durableOnWrite`). */
export class MemorySink implements Sink {
  readonly name = 'memory';
  readonly entries: OutboxEntry[] = [];
  private written = 0;
  private durable = 0;
  failing = false;

  constructor(private readonly durableOnWrite = true) {}
  async start(): Promise<void> {}
  async shutdown(): Promise<void> {
    await this.flush();
  }
  async write(entries: OutboxEntry[]): Promise<void> {
    if (this.failing) throw new Error('sink down');
    for (const e of entries) {
      if (e.seq <= this.written) continue;
      this.entries.push(e);
      this.written = e.seq;
    }
    if (this.durableOnWrite) this.durable = this.written;
  }
  durableSeq(): number {
    return this.durable;
  }
  async flush(): Promise<void> {
    this.durable = this.written;
  }
  ready(): boolean {
    return !this.failing;
  }
  topic(name: string): OutboxEntry[] {
    return this.entries.filter((e) => e.topic === name);
  }
}
