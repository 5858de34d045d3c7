import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { LabeledRecord } from '../model';
import type { DecideOutcome } from '../stages/join/join';
import type { DeciderConfig } from '../stages/sample';
import type { Clock, Logger } from '../telemetry';
import type { Topic } from './contracts';
import type { OutboxDraft } from './outbox';

// Label → sample → route → Avro encode on a worker thread of its own
// (`service.decide_thread`). The join hands it every record a sweep pass or
// an accepted batch emits, in one message, and awaits the encoded drafts
// before writing its batch; meanwhile the event loop goes on receiving,
// redacting and accepting. Over OTLP/HTTP this was ~15% of the main thread's
// busy time (README, Performance).
//
// What stays the same as deciding in-process:
// - one thread, messages in order: budgets and near-duplicate memory see the
//   records in the order the join emits them;
// - time: a budget reads the record's emittedMs (the join's clock when it
//   emitted it), and a (re)built decider starts at the join's clock, never
//   the worker's own;
// - a record that throws is returned as an error, which the join dead-letters;
// - a reload sends the new label/sample config; batches after it use it.
// A thread that dies fails the batches in flight (the join retries the pass or
// the request) and is started afresh, with the current config, on the next call.

/** Messages from the join's thread to the decide thread. */
export type ToDecideThread =
  | { id: number; type: 'decide'; records: LabeledRecord[] }
  | { id: number; type: 'config'; config: DeciderConfig; nowMs: number }
  | { id: number; type: 'metrics' };

/** A batch's drafts as they cross threads: payloads packed into one transferred buffer. */
export interface PackedDrafts {
  /** Per record: [first draft, end) into `drafts`, or an error. */
  outcomes: Array<[number, number] | { error: string }>;
  drafts: Array<{ topic: Topic; key: string; recordId: string; timeMs: number; end: number }>;
  payloads: ArrayBuffer;
}

export type FromDecideThread =
  | { id: number; type: 'decided'; packed: PackedDrafts }
  | { id: number; type: 'configured' }
  | { id: number; type: 'metrics'; metrics: MetricObjectWithValues<MetricValue<string>>[] }
  | { id: number; type: 'failed'; error: string };

/** Packs per-record outcomes for the trip across threads (worker side). */
export function packOutcomes(outcomes: DecideOutcome[]): { packed: PackedDrafts; transfer: ArrayBuffer[] } {
  let bytes = 0;
  for (const o of outcomes) if (Array.isArray(o)) for (const d of o) bytes += d.payload.length;
  const buf = Buffer.allocUnsafeSlow(bytes);
  const drafts: PackedDrafts['drafts'] = [];
  let at = 0;
  const packedOutcomes = outcomes.map((o): [number, number] | { error: string } => {
    if (!Array.isArray(o)) return o;
    const first = drafts.length;
    for (const d of o) {
      at += d.payload.copy(buf, at);
      drafts.push({ topic: d.topic, key: d.key, recordId: d.recordId, timeMs: d.timeMs, end: at });
    }
    return [first, drafts.length];
  });
  const payloads = buf.buffer as ArrayBuffer;
  return { packed: { outcomes: packedOutcomes, drafts, payloads }, transfer: [payloads] };
}

/** The drafts again, their payloads views into the one transferred buffer (join side). */
export function unpackOutcomes(p: PackedDrafts): DecideOutcome[] {
  const drafts: OutboxDraft[] = [];
  let start = 0;
  for (const d of p.drafts) {
    drafts.push({ topic: d.topic, key: d.key, recordId: d.recordId, timeMs: d.timeMs, payload: Buffer.from(p.payloads, start, d.end - start) });
    start = d.end;
  }
  return p.outcomes.map((o) => (Array.isArray(o) ? drafts.slice(o[0], o[1]) : o));
}

interface Pending {
  resolve: (m: FromDecideThread) => void;
  reject: (err: Error) => void;
}

export class DecideThread {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  constructor(
    private config: DeciderConfig,
    private readonly logger: Logger,
    private readonly clock: Clock,
    /** For tests: the worker script (defaults to the compiled decide-worker next to this file). */
    private readonly script = join(__dirname, 'decide-worker.js'),
  ) {}

  /** A Decide for the join: one message per batch of records. */
  readonly decide = async (records: LabeledRecord[]): Promise<DecideOutcome[]> => {
    const reply = await this.call({ id: 0, type: 'decide', records });
    if (reply.type !== 'decided') throw new Error(`decide thread answered ${reply.type} to decide`);
    return unpackOutcomes(reply.packed);
  };

  /** Swaps the label/sample config (live reload). The caller validated it (createDecider in its own thread). */
  async setConfig(config: DeciderConfig): Promise<void> {
    this.config = config;
    // A thread not running yet starts with it.
    if (this.worker) await this.call({ id: 0, type: 'config', config, nowMs: this.clock.now() });
  }

  /** The thread's metrics (sampling counters), for the service's /metrics. Empty when it is not running. */
  async metrics(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    if (!this.worker) return [];
    const reply = await this.call({ id: 0, type: 'metrics' });
    return reply.type === 'metrics' ? reply.metrics : [];
  }

  /** Stops the thread; calls after this fail. */
  async shutdown(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
    this.failAll(new Error('decide thread stopped'));
  }

  private call(message: ToDecideThread): Promise<FromDecideThread> {
    if (this.closed) return Promise.reject(new Error('decide thread stopped'));
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<FromDecideThread>((resolve, reject) => {
      // Referenced only while a call is out: a reply awaited keeps the process alive, an idle thread does not.
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    }).then((reply) => {
      if (reply.type === 'failed') throw new Error(reply.error);
      return reply;
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script, { workerData: { config: this.config, nowMs: this.clock.now() } });
    worker.on('message', (m: FromDecideThread) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      p.resolve(m);
    });
    const gone = (why: string): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      if (!this.closed) this.logger.error({ err: why }, 'decide thread stopped; records in flight are retried, a new thread starts with the next batch');
      this.failAll(new Error(`decide thread stopped: ${why}`));
    };
    worker.on('error', (err) => gone(err.message));
    worker.on('exit', (code) => gone(`exit code ${code}`));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private failAll(err: Error): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(err);
  }
}
