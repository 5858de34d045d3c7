import type { IngestConsumer, Lifecycle } from '../../pipeline/contracts';
import type { ComponentContext } from '../../telemetry';
import { resolveLimits, type DecodeLimits } from '../../otlp/limits';
import { kafkaSourceConfigSchema, type KafkaSourceConfig } from './config';
import { COMPONENT, KafkaSource } from './consumer';

/** The decoder limits a source config implies; the rest keep their defaults (see src/otlp/limits.ts). */
export function decodeLimitsFor(config: KafkaSourceConfig): Readonly<DecodeLimits> {
  return resolveLimits({
    maxSpansPerRequest: config.max_items_per_message,
    maxLogRecordsPerRequest: config.max_items_per_message,
    maxValueBytes: config.max_attribute_value_bytes,
  });
}

export const kafkaSourceFactory = {
  /** The component's name in config, metrics and dead letters. */
  type: COMPONENT,
  configSchema: kafkaSourceConfigSchema,
  /** Every key at its default (what an absent `sources.kafka` section means). */
  defaultConfig(): KafkaSourceConfig {
    return kafkaSourceConfigSchema.parse(undefined);
  },
  /** A consumer-group member that hands decoded messages to `consumer`; call start() to join the group. */
  create(config: KafkaSourceConfig, consumer: IngestConsumer, ctx: ComponentContext): KafkaSource & Lifecycle {
    return new KafkaSource(config, consumer, ctx, decodeLimitsFor(config));
  },
};
