import { z } from 'zod';
import { duration, section } from './types';
import { otlpHttpConfigSchema } from '../sources/otlp-http/config';
import { kafkaSourceConfigSchema } from '../sources/kafka/config';
import { normalizeConfigSchema } from '../stages/normalize/config';
import { redactConfigSchema } from '../stages/redact/config';
import { joinConfigSchema } from '../stages/join/config';
import { labelConfigSchema } from '../stages/label/config';
import { sampleConfigSchema } from '../stages/sample/config';
import { fileSinkConfigSchema } from '../sinks/file/config';
import { kafkaSinkConfigSchema } from '../sinks/kafka/config';
import { selfTracingProblems, telemetryConfigSchema } from '../telemetry/config';
import { scaleOutConfigSchema } from '../scaleout/config';

// The whole config reads like the data flow: sources → stages → sinks.
export const configSchema = z
  .strictObject({
    service: section({
      data_dir: z.string().default('data').describe('Directory for the join state store (LevelDB) and its outbox.'),
      shutdown_grace: duration.prefault('30s').describe('How long SIGTERM waits for in-flight work and sink flushes before exiting.'),
    }),
    sources: section({
      otlp_http: otlpHttpConfigSchema,
      kafka: kafkaSourceConfigSchema,
    }),
    normalize: normalizeConfigSchema,
    redact: redactConfigSchema,
    join: joinConfigSchema,
    label: labelConfigSchema,
    sample: sampleConfigSchema,
    sinks: section({
      file: fileSinkConfigSchema,
      kafka: kafkaSinkConfigSchema,
    }),
    telemetry: telemetryConfigSchema,
    scale_out: scaleOutConfigSchema,
  })
  .superRefine((cfg, ctx) => {
    // Cross-field rules live here, in one place.
    if (!cfg.sources.otlp_http?.enabled && !cfg.sources.kafka?.enabled) {
      ctx.addIssue({ code: 'custom', path: ['sources'], message: 'enable at least one source (otlp_http or kafka)' });
    }
    if (cfg.telemetry?.self_tracing && cfg.sources?.otlp_http) {
      for (const p of selfTracingProblems(cfg as Parameters<typeof selfTracingProblems>[0])) {
        ctx.addIssue({ code: 'custom', path: p.path.split('.'), message: p.message });
      }
    }
    const sinks = [cfg.sinks.file?.enabled && 'file', cfg.sinks.kafka?.enabled && 'kafka'].filter(Boolean);
    if (sinks.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['sinks'],
        message: `enable exactly one sink (file or kafka); ${sinks.length === 0 ? 'none is' : 'both are'} enabled`,
      });
    }
  }, {
    // Run the cross-field rules even when some keys are invalid, so one pass reports every problem.
    when: (payload) => {
      const v = payload.value as { sources?: { otlp_http?: unknown; kafka?: unknown }; sinks?: { file?: unknown; kafka?: unknown } } | undefined;
      return Boolean(v?.sources?.otlp_http && v.sources.kafka && v.sinks?.file && v.sinks.kafka);
    },
  });

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
