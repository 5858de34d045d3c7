// The stateless half of scale-out, on every instance: events that the
// ingest path has normalized and redacted are produced to the repartition
// topic keyed by join key, and the source is acknowledged only after the
// broker acknowledged them (idempotent producer, acks=all).
//
// It is a JoinStage so that the ingest path is reused whole and unchanged
// (pipeline/ingest.ts: normalize → redact, fail closed, counters, partial
// success, dead letters): where a single instance accepts events into its
// store, this one hands them to Kafka. Its own store (the service's usual
// <data_dir>/state) only ever holds the ingest's dead-letter outbox — and,
// after a switch from one instance to scale-out, the windows that were open
// then, which it keeps sweeping until they have closed.

import { CompressionTypes, type Message, type Producer } from 'kafkajs';
import type { ComponentContext } from '../telemetry/metrics';
import type { JoinConfig } from '../stages/join/config';
import type { StateStore } from '../stages/join/store';
import type { Outbox } from '../pipeline/outbox';
import { JoinStage, spanKey, type Decide, type RedactedEvent } from '../stages/join/join';
import { sessionEntry } from '../stages/join/implicit';
import { ERROR_CODES, RetryableError, errorMessage } from '../pipeline/errors';
import { encodeMessage, joinKeyOf, type KeyPartitioner, type RepartitionMessage } from './codec';
import type { ScaleOutMetrics } from './metrics';

/** Bytes per produce request: below the broker's default 1 MiB batch limit whatever the topic says. */
const CHUNK_BYTES = 512 * 1024;

/** What the stage needs from the scale-out runtime (index.ts). */
export interface RepartitionTarget {
  readonly topic: string;
  readonly partitioner: KeyPartitioner;
  readonly metrics: ScaleOutMetrics;
  /** The connected idempotent producer; rejects while Kafka is unreachable. */
  producer(): Promise<Producer>;
  /** Drops a producer after a failed send (its sequence numbers may no longer match the broker's). */
  dropProducer(): void;
  /** Live reload reaches the partitions' join stages through here. */
  setDecide(decide: Decide): void;
}

/** The messages that carry one event to the join, in the order they are produced. */
export function repartitionMessages(item: RedactedEvent, partitioner: KeyPartitioner, join: JoinConfig): Array<{ message: Message; type: RepartitionMessage['t'] }> {
  const { event, redaction } = item;
  const out: Array<{ message: Message; type: RepartitionMessage['t'] }> = [];
  const add = (key: string, m: RepartitionMessage): void => {
    out.push({ type: m.t, message: { key, partition: partitioner.partitionOf(key), value: encodeMessage(m) } });
  };
  add(joinKeyOf(event), { t: 'event', event, redaction });
  if (event.kind === 'interaction') {
    const sk = spanKey(event.span);
    if (sk !== event.requestId) add(sk, { t: 'alias', spanKey: sk, requestId: event.requestId });
    if (event.sessionId && join.implicit.enabled) add(event.sessionId, { t: 'session', sessionId: event.sessionId, entry: sessionEntry(event) });
  }
  return out;
}

export class RepartitionStage extends JoinStage {
  constructor(
    private readonly joinConfig: JoinConfig,
    store: StateStore,
    outbox: Outbox,
    decide: Decide,
    ctx: ComponentContext,
    policyVersion: string,
    private readonly target: RepartitionTarget,
  ) {
    super(joinConfig, store, outbox, decide, ctx, policyVersion);
  }

  /** Resolves once the broker acknowledged every message: the source may then acknowledge its client. */
  override async accept(items: RedactedEvent[]): Promise<void> {
    if (items.length === 0) return;
    const chunks: Message[][] = [[]];
    let bytes = 0;
    const counts = new Map<string, number>();
    for (const item of items) {
      for (const { message, type } of repartitionMessages(item, this.target.partitioner, this.joinConfig)) {
        const size = (message.value as Buffer).length + 64;
        if (bytes + size > CHUNK_BYTES && chunks[chunks.length - 1]!.length > 0) {
          chunks.push([]);
          bytes = 0;
        }
        chunks[chunks.length - 1]!.push(message);
        bytes += size;
        counts.set(type, (counts.get(type) ?? 0) + 1);
      }
    }
    try {
      const producer = await this.target.producer();
      for (const messages of chunks) {
        await producer.sendBatch({ topicMessages: [{ topic: this.target.topic, messages }], acks: -1, compression: CompressionTypes.None });
      }
    } catch (err) {
      this.target.dropProducer();
      // Nothing acknowledged to the client: it sends again, and the join deduplicates what did land.
      throw new RetryableError(ERROR_CODES.SINK_UNAVAILABLE, `scale-out: repartition topic ${this.target.topic} unreachable: ${errorMessage(err)}`, 2, err);
    }
    for (const [type, n] of counts) this.target.metrics.repartitioned.labels(type).inc(n);
  }

  override setDecide(decide: Decide): void {
    super.setDecide(decide);
    this.target.setDecide(decide);
  }
}
