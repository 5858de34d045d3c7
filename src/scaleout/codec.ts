// What travels on the repartition topic, and where it goes. Pure functions:
// tested without a broker.
//
// Value: one version byte, then the message in V8's structured-clone format
// (node:v8 serialize — compact, fast, and the same encoding the join store
// already uses for windows). A reader that meets an unknown version refuses
// the message instead of guessing (rolling upgrades: deploy readers first).
//
// Keys: the join key. Interactions and feedback that names its request id go
// by request id; content fragments and feedback that only points at a span go
// by span key "trace:span" — the request id is not known yet where they are
// produced. The partition owning a span key learns its request id from an
// `alias` message and forwards what it holds (see router.ts).

import { serialize, deserialize } from 'node:v8';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import type { FeedbackSignal, PipelineEvent, RedactionSummary } from '../model';
import type { SessionEntry } from '../stages/join/implicit';
import { spanKey } from '../stages/join/join';
import { ERROR_CODES, PermanentError } from '../pipeline/errors';

export const WIRE_VERSION = 1;

export type RepartitionMessage =
  /** A normalized, redacted event at its join key. */
  | { t: 'event'; event: PipelineEvent; redaction: RedactionSummary }
  /** An event the span key's partition forwarded to its request id's partition: never routed by span again. */
  | { t: 'forwarded'; event: PipelineEvent; redaction: RedactionSummary }
  /** Span key → request id, keyed by span key: sent beside every interaction whose request id is not its span key. */
  | { t: 'alias'; spanKey: string; requestId: string }
  /** The interaction a session saw, keyed by session id: the session's partition orders them (implicit signals). */
  | { t: 'session'; sessionId: string; entry: SessionEntry }
  /**
   * From a session's partition to an interaction's partition: the session moved
   * on to `latest` (so the interaction is not the last one: no abandonment),
   * and, if the two were close in time, the retry / moved-on signal about it.
   */
  | { t: 'session_notice'; sessionId: string; latest: SessionEntry; signal?: FeedbackSignal };

export type MessageType = RepartitionMessage['t'];
const TYPES: ReadonlySet<string> = new Set<MessageType>(['event', 'forwarded', 'alias', 'session', 'session_notice']);

export function encodeMessage(m: RepartitionMessage): Buffer {
  const body = serialize(m);
  const out = Buffer.allocUnsafe(body.length + 1);
  out[0] = WIRE_VERSION;
  body.copy(out, 1);
  return out;
}

/** Throws PermanentError for bytes this version cannot read: the caller dead-letters them. */
export function decodeMessage(buf: Buffer | null): RepartitionMessage {
  if (!buf || buf.length < 2) throw new PermanentError(ERROR_CODES.OTLP_DECODE, 'repartition message is empty');
  if (buf[0] !== WIRE_VERSION) {
    throw new PermanentError(ERROR_CODES.OTLP_DECODE, `repartition message has wire version ${buf[0]}; this instance reads version ${WIRE_VERSION}`);
  }
  let m: unknown;
  try {
    m = deserialize(buf.subarray(1));
  } catch (err) {
    throw new PermanentError(ERROR_CODES.OTLP_DECODE, `repartition message does not deserialize: ${(err as Error).message}`, err);
  }
  const t = (m as { t?: unknown } | null)?.t;
  if (typeof t !== 'string' || !TYPES.has(t)) throw new PermanentError(ERROR_CODES.OTLP_DECODE, 'repartition message of unknown type');
  return m as RepartitionMessage;
}

/** Events that can only be placed by span context: where they are produced the request id is unknown. */
export function spanKeyOf(e: PipelineEvent): string | undefined {
  if (e.kind === 'content') return spanKey(e.span);
  if (e.kind === 'feedback' && !e.target.requestId && e.target.span) return spanKey(e.target.span);
  return undefined;
}

/** The key an event is repartitioned by: the same key the join files it under when it has no alias. */
export function joinKeyOf(e: PipelineEvent): string {
  if (e.kind === 'interaction') return e.requestId;
  if (e.kind === 'content') return spanKey(e.span);
  if (e.target.requestId) return e.target.requestId;
  if (e.target.span) return spanKey(e.target.span);
  // Same key the join gives a signal with no target: it closes as an orphan.
  return `unresolved:${e.signalId}`;
}

/**
 * Partition of a key, computed the way the producer would (the Java client's
 * murmur2 partitioner), so that the router can tell whether a key is its own
 * without asking Kafka. Every message to the repartition topic carries its
 * partition explicitly, computed here: one function decides, nothing drifts.
 */
export class KeyPartitioner {
  private readonly fn = Partitioners.DefaultPartitioner();
  private readonly metadata: PartitionMetadata[];

  constructor(
    readonly topic: string,
    readonly partitions: number,
  ) {
    this.metadata = Array.from({ length: partitions }, (_, partitionId) => ({
      partitionErrorCode: 0,
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
    }));
  }

  partitionOf(key: string): number {
    return this.fn({ topic: this.topic, partitionMetadata: this.metadata, message: { key, value: null } });
  }
}
