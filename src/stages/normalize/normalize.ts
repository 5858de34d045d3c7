import type { PipelineEvent } from '../../model';
import type { LogsData, TracesData } from '../../otlp/types';
import { resolveConfig, resourceInfo, type ReadContext } from './common';
import type { NormalizeConfig } from './config';
import { normalizeLogRecord, type LogBatch } from './logs';
import { normalizeSpan, type Sink } from './spans';

// The normalize stage: every GenAI dialect in, one model out. Pure functions
// of their input — no I/O, no clock, no logging — so the stage helper wraps
// them with counters and the rest of the pipeline can trust what comes out.

export interface NormalizeResult {
  /** Interactions, content fragments and feedback signals, in input order. */
  events: PipelineEvent[];
  /** Spans or log records taken in. */
  received: number;
  /**
   * Items dropped on purpose, by reason: not_genai, not_model_call,
   * wrapper_span, invalid_feedback, feedback_without_target,
   * content_without_span, missing_context. An item is a span, a log record,
   * or a feedback span event.
   */
  dropped: Record<string, number>;
  /** Content attributes or bodies that could not be parsed, by reason (malformed_messages); their items passed with the rest. */
  partial: Record<string, number>;
}

export interface Normalizer {
  traces(data: TracesData): NormalizeResult;
  logs(data: LogsData): NormalizeResult;
}

export function createNormalizer(config: NormalizeConfig): Normalizer {
  const cfg = resolveConfig(config);

  function run(fill: (ctx: ReadContext, sink: Sink) => number): NormalizeResult {
    const events: PipelineEvent[] = [];
    const dropped: Record<string, number> = {};
    const ctx: ReadContext = { cfg, malformed: 0 };
    const sink: Sink = { out: events, drop: (reason) => void (dropped[reason] = (dropped[reason] ?? 0) + 1) };
    const received = fill(ctx, sink);
    const partial: Record<string, number> = {};
    if (ctx.malformed > 0) partial['malformed_messages'] = ctx.malformed;
    return { events, received, dropped, partial };
  }

  return {
    traces(data) {
      return run((ctx, sink) => {
        let received = 0;
        for (const rs of data.resourceSpans) {
          const resource = resourceInfo(rs.resource.attributes);
          for (const ss of rs.scopeSpans) {
            for (const span of ss.spans) {
              received++;
              normalizeSpan(span, resource, ctx, sink);
            }
          }
        }
        return received;
      });
    },
    logs(data) {
      return run((ctx, sink) => {
        const batch: LogBatch = { fragments: new Map(), position: 0 };
        for (const rl of data.resourceLogs) {
          const resource = resourceInfo(rl.resource.attributes);
          for (const sl of rl.scopeLogs) {
            for (const rec of sl.logRecords) {
              normalizeLogRecord(rec, resource, ctx, sink, batch);
              batch.position++;
            }
          }
        }
        return batch.position;
      });
    },
  };
}
