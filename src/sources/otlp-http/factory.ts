import type { IngestConsumer, Lifecycle } from '../../pipeline/contracts';
import type { ComponentContext } from '../../telemetry';
import { resolveLimits, type DecodeLimits } from '../../otlp/limits';
import { otlpHttpConfigSchema, type OtlpHttpConfig } from './config';
import { COMPONENT, OtlpHttpReceiver, type ReceiverOptions } from './receiver';

/** The decoder limits a receiver config implies; the rest keep their defaults (see src/otlp/limits.ts). */
export function decodeLimitsFor(config: OtlpHttpConfig): Readonly<DecodeLimits> {
  return resolveLimits({
    maxSpansPerRequest: config.max_items_per_request,
    maxLogRecordsPerRequest: config.max_items_per_request,
    maxAttributesPerItem: config.max_attributes_per_item,
    maxValueBytes: config.max_attribute_value_bytes,
    maxAnyValueDepth: config.max_value_depth,
    maxEventsPerSpan: config.max_events_per_span,
    maxLinksPerSpan: config.max_links_per_span,
  });
}

export const otlpHttpReceiverFactory = {
  /** The component's name in config, metrics and dead letters. */
  type: COMPONENT,
  /** Every key at its default (what an absent `sources.otlp_http` section means). */
  defaultConfig(): OtlpHttpConfig {
    return otlpHttpConfigSchema.parse(undefined);
  },
  /**
   * A receiver that hands decoded requests to `consumer`; call start() to
   * listen. `options.env` is where `auth.bearer_token_env` is looked up,
   * `options.tracer` the self-tracing tracer (see telemetry/self-tracing.ts).
   */
  create(config: OtlpHttpConfig, consumer: IngestConsumer, ctx: ComponentContext, options: ReceiverOptions = {}): OtlpHttpReceiver & Lifecycle {
    return new OtlpHttpReceiver(config, consumer, ctx, decodeLimitsFor(config), options);
  },
};
