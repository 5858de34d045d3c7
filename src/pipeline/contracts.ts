// The contracts between components. Data moves one way:
//   source → Ingest (normalize → redact → join, durable) → outbox → sink
// A source hands decoded OTLP to an IngestConsumer and acknowledges its client
// only when the returned promise resolves: at that point everything derived
// from the request is durable in the join store (or dead-lettered).

import type { LogsData, TracesData } from '../otlp/types';

export interface Lifecycle {
  /** Returns quickly; the component is ready when it resolves. */
  start(): Promise<void>;
  /** Runs once, safe without start: stops intake, cancels timers, flushes downstream. */
  shutdown(): Promise<void>;
}

export interface IngestMeta {
  /** The source component, e.g. "otlp_http" or "kafka". */
  source: string;
  /** Encoding of the original payload, e.g. "application/x-protobuf", "otlp_json". */
  encoding: string;
  receivedMs: number;
}

export interface IngestResult {
  /** Items (spans or log records) taken in, including non-GenAI ones dropped on purpose. */
  accepted: number;
  /** Items refused; reported to OTLP clients as partial_success. */
  rejected: number;
  /** Why items were refused, for partial_success.error_message. */
  rejectionMessage?: string;
}

/** What a source calls. Rejects with a RetryableError when the pipeline cannot take more. */
export interface IngestConsumer {
  consumeTraces(data: TracesData, meta: IngestMeta): Promise<IngestResult>;
  consumeLogs(data: LogsData, meta: IngestMeta): Promise<IngestResult>;
  /** Input that could not even be decoded: dead-lettered with its reason (metadata only). */
  deadLetter(reason: string, detail: string, meta: IngestMeta & { payload?: Uint8Array }): Promise<void>;
  /** False while draining or while the store/sink is down: receivers answer 503. */
  ready(): boolean;
}

/** The topics the service writes. Names on Kafka are configurable; these are the logical ones. */
export const TOPICS = [
  'labeled_interactions',
  'annotation_tasks',
  'training_examples',
  'orphaned_feedback',
  'dead_letters',
] as const;
export type Topic = (typeof TOPICS)[number];

/**
 * One record on its way out. `seq` is a single increasing sequence over all
 * topics, assigned when the record enters the durable outbox; sinks use it to
 * make delivery exactly-once across crashes (see Sink.durableSeq).
 *
 * The record is encoded once, where it is decided (sinks/avro encodeRecord):
 * `payload` is its Avro binary encoding under the topic's schema, already
 * validated. The outbox stores those bytes and every sink writes them as they
 * are — framed for Kafka, packed into blocks for container files — so a record
 * is never converted, checked or encoded a second time on its way out.
 */
export interface OutboxEntry {
  seq: number;
  topic: Topic;
  /** Kafka key / partitioning key: the request id. */
  key: string;
  /** Deterministic id consumers dedupe on. */
  recordId: string;
  /** Avro binary encoding of the record under the topic's schema (no header). */
  payload: Buffer;
  /** Record time (Unix ms), used for time partitioning. */
  timeMs: number;
}

export interface Sink extends Lifecycle {
  readonly name: string;
  /**
   * Accept entries, in increasing seq order. May buffer; resolves when the
   * sink has taken them (not necessarily durable). Entries the sink already
   * holds durably from before a crash are skipped (exactly-once).
   */
  write(entries: OutboxEntry[]): Promise<void>;
  /** Highest seq S such that every entry with seq ≤ S is durable in the sink. */
  durableSeq(): number;
  /** Make everything written so far durable (close open files, flush the producer). */
  flush(): Promise<void>;
  /** False while disconnected; intake answers 503 when the outbox backs up. */
  ready(): boolean;
}
