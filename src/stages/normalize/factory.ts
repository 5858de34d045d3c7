import type { ComponentCounters, Metrics } from '../../telemetry/metrics';
import type { LogsData, TracesData } from '../../otlp/types';
import { normalizeConfigSchema, type NormalizeConfig } from './config';
import { createNormalizer, type NormalizeResult, type Normalizer } from './normalize';

/** The component's name in config, metrics and dead letters. */
export const NORMALIZE_TYPE = 'normalize';

/** Every key at its default (what an absent `normalize:` section means). */
export function defaultNormalizeConfig(): NormalizeConfig {
  return normalizeConfigSchema.parse(undefined);
}

/**
 * The normalizer with the component counters every stage reports: received
 * (spans / log records), emitted (pipeline events), dropped by reason, and
 * errors for unreadable content. Without `metrics` it is the bare normalizer.
 */
export function createNormalizeStage(config: NormalizeConfig, metrics?: Metrics): Normalizer {
  const normalizer = createNormalizer(config);
  if (metrics === undefined) return normalizer;
  const counters = metrics.component(NORMALIZE_TYPE);
  return {
    traces: (data: TracesData) => count(counters, normalizer.traces(data)),
    logs: (data: LogsData) => count(counters, normalizer.logs(data)),
  };
}

function count(c: ComponentCounters, r: NormalizeResult): NormalizeResult {
  c.received(r.received);
  if (r.events.length > 0) c.emitted(r.events.length);
  for (const reason in r.dropped) c.dropped(reason, r.dropped[reason]);
  for (const reason in r.partial) c.error(reason, r.partial[reason]);
  return r;
}
