// Scale-out: many instances, one correct join (Kafka Streams model). See README.md.
import type { Config } from '../config';
import type { Lifecycle } from '../pipeline/contracts';
import type { Outbox } from '../pipeline/outbox';
import type { Decide } from '../stages/join/join';
import type { StateStore } from '../stages/join/store';
import type { ComponentContext } from '../telemetry/metrics';
import { RepartitionStage } from './repartition';
import { ScaleOutRuntime } from './runtime';

export { scaleOutConfigSchema, instanceIdOf, type ScaleOutConfig } from './config';
export { ScaleOutRuntime } from './runtime';
export { RepartitionStage } from './repartition';
export { PartitionedJoin } from './partitioned-join';

export interface ScaleOut {
  /** The service's join stage: hands normalized, redacted events to the repartition topic. */
  stage: RepartitionStage;
  /** Internal topics, repartition producer and the partitioned join: start before the sources, stop after them. */
  runtime: ScaleOutRuntime & Lifecycle;
}

/**
 * Builds scale-out mode from the service's parts: `store` and `outbox` are the
 * service's own (they carry the ingest's dead letters); `decide` is the
 * label/sample/route step every partition uses. Throws CONFIG_INVALID when
 * sinks.kafka is not enabled.
 */
export function createScaleOut(config: Config, store: StateStore, outbox: Outbox, decide: Decide, ctx: ComponentContext): ScaleOut {
  const runtime = new ScaleOutRuntime(config, decide, ctx);
  const stage = new RepartitionStage(config.join, store, outbox, decide, ctx, config.redact.policy_version, runtime);
  return { stage, runtime };
}
