// How a partition's records reach the output topics in scale-out mode.
//
// The join stage and the outbox are used unchanged: the join stages records in
// the outbox in the same store batch as the window change; the outbox hands
// them to a Sink. Here that sink is a TransactionSink, which only collects
// them; the partition task then produces them inside the same Kafka
// transaction as the store's changelog records and the consumed offsets.
// Entries count as delivered as soon as they are collected: if the
// transaction fails, the partition's store is thrown away and restored from
// the changelog, where neither the entries nor their deletion ever landed.

import type { Message } from 'kafkajs';
import type { OutboxEntry, Sink, Topic } from '../pipeline/contracts';
import { TOPICS } from '../pipeline/contracts';
import type { ComponentContext, ComponentCounters } from '../telemetry/metrics';
import type { SchemaSet } from '../sinks/avro/schemas';
import type { KafkaSinkConfig } from '../sinks/kafka/config';
import { frameValue, messageHeaders } from '../sinks/kafka/wire';
import type { SchemaRegistryClient } from '../sinks/kafka/registry';

export class TransactionSink implements Sink {
  readonly name = 'kafka_transaction';
  private pending: OutboxEntry[] = [];

  constructor(private taken: number) {}

  async start(): Promise<void> {}
  async shutdown(): Promise<void> {}
  async flush(): Promise<void> {}
  ready(): boolean {
    return true;
  }

  async write(entries: OutboxEntry[]): Promise<void> {
    for (const e of entries) {
      if (e.seq <= this.taken) continue; // delivered by an earlier, committed transaction
      this.pending.push(e);
      this.taken = e.seq;
    }
  }

  durableSeq(): number {
    return this.taken;
  }

  /** The entries collected since the last call, in seq order. */
  takePending(): OutboxEntry[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}

/** Output messages in exactly the Kafka sink's format: same topics, keys, Avro wire format and headers. */
export class OutputEncoder {
  private readonly registryIds = new Map<Topic, number>();
  private readonly counters: ComponentCounters;

  constructor(
    private readonly sinkConfig: KafkaSinkConfig,
    private readonly schemas: SchemaSet,
    private readonly ctx: ComponentContext,
    private readonly registry?: SchemaRegistryClient,
  ) {
    this.counters = ctx.metrics.component('scaleout_output');
  }

  /** Registers (or looks up) the schemas when a registry is configured, as the Kafka sink does. */
  async init(): Promise<void> {
    if (!this.registry) return;
    for (const topic of TOPICS) {
      if (this.registryIds.has(topic)) continue;
      const subject = `${this.sinkConfig.topics[topic]}-value`;
      this.registryIds.set(topic, await this.registry.ensure(subject, this.schemas[topic].schemaJson, this.sinkConfig.schema_registry_auto_register));
    }
  }

  /** The Kafka topic and message of an entry (its payload already encoded and validated), or undefined for an unknown topic. */
  encode(e: OutboxEntry): { topic: string; message: Message } | undefined {
    const schema = (this.schemas as Partial<SchemaSet>)[e.topic];
    if (!schema) {
      this.counters.error('unknown_topic');
      return undefined;
    }
    const message: Message = {
      key: e.key === '' ? null : e.key,
      value: frameValue(schema, e.payload, this.registry ? this.registryIds.get(e.topic) : undefined),
      headers: messageHeaders(schema, e),
      timestamp: String(Math.trunc(Number.isFinite(e.timeMs) ? e.timeMs : this.ctx.clock.now())),
    };
    this.counters.emitted();
    return { topic: this.sinkConfig.topics[e.topic], message };
  }
}
