import type { Sink } from '../../pipeline/contracts';
import type { ComponentContext } from '../../telemetry/metrics';
import { kafkaSinkConfigSchema, type KafkaSinkConfig } from './config';
import { KafkaSink } from './kafka-sink';

/** The Kafka sink's component factory: type name, config schema and defaults, create. */
export const kafkaSinkFactory = {
  type: 'kafka' as const,
  configSchema: kafkaSinkConfigSchema,
  /** Every key at its documented default. */
  defaultConfig(): KafkaSinkConfig {
    return kafkaSinkConfigSchema.parse(undefined);
  },
  /** Nothing connects until start(): it reaches the registry and brokers, creates topics, registers schemas. */
  create(config: KafkaSinkConfig, ctx: ComponentContext): Sink {
    return new KafkaSink(config, ctx);
  },
};
