import type { ContentFragment, FeedbackTarget, ResourceInfo } from '../../model';
import type { LogRecord } from '../../otlp/types';
import { applyContent, finishInteraction, newInteraction, readSemconv, requestIdFor, type ReadContext } from './common';
import { addContentRecord, isContentEventName } from './dialects/otel-1-36';
import { readSemconvContent } from './dialects/otel-current';
import { EVALUATION_EVENT, FEEDBACK_EVENT, FEEDBACK_KIND, evaluationSignal, feedbackSignal, type SignalOrigin } from './feedback';
import type { Sink } from './spans';
import { str } from './values';

// One log record in: semconv ≤1.36 content (grouped per span into one
// ContentFragment per batch), an inference operation-details event, an
// evaluation, a feedback record — or a drop.

export const OPERATION_DETAILS = 'gen_ai.client.inference.operation.details';

/** State shared by the records of one logs() call. */
export interface LogBatch {
  /** Content fragments by trace/span, so a span's content records become one fragment, in order. */
  fragments: Map<string, ContentFragment>;
  /** Position of the record within the batch. */
  position: number;
}

export function normalizeLogRecord(rec: LogRecord, resource: ResourceInfo, ctx: ReadContext, sink: Sink, batch: LogBatch): void {
  const a = rec.attributes;
  const name = rec.eventName !== '' ? rec.eventName : (str(a, 'event.name') ?? '');
  const timeMs = rec.timeMs > 0 ? rec.timeMs : rec.observedTimeMs;
  const hasSpan = rec.traceId !== '' && rec.spanId !== '';

  if (isContentEventName(name)) {
    if (!hasSpan) {
      // Content with no span to belong to cannot be joined to anything.
      sink.drop('content_without_span');
      return;
    }
    const key = rec.traceId + rec.spanId;
    let f = batch.fragments.get(key);
    if (f === undefined) {
      f = {
        kind: 'content',
        span: { traceId: rec.traceId, spanId: rec.spanId },
        timeMs,
        dialect: 'otel_genai_1_36',
        systemInstructions: [],
        inputMessages: [],
        outputMessages: [],
        sequence: batch.position,
      };
      batch.fragments.set(key, f);
      sink.out.push(f);
    }
    addContentRecord(f, name, rec, () => ctx.malformed++);
    return;
  }

  if (name === OPERATION_DETAILS) {
    operationDetails(rec, timeMs, hasSpan, resource, ctx, sink, batch.position);
    return;
  }

  if (name === EVALUATION_EVENT || name === FEEDBACK_EVENT || a.has(FEEDBACK_KIND)) {
    const origin: SignalOrigin = { form: 'log', traceId: rec.traceId, spanId: rec.spanId, eventIndex: -1, timeMs };
    // An evaluation is parented to the span it evaluates. A feedback record is
    // usually emitted while handling the user's reaction, under an unrelated
    // span, so it must name its interaction (feedback.request_id).
    const r =
      name === EVALUATION_EVENT
        ? evaluationSignal(a, origin, hasSpan ? spanTarget(rec) : undefined)
        : feedbackSignal(a, origin, undefined, ctx.cfg);
    if ('dropped' in r) sink.drop(r.dropped);
    else sink.out.push(r);
    return;
  }

  sink.drop('not_genai');
}

function spanTarget(rec: LogRecord): FeedbackTarget {
  return { span: { traceId: rec.traceId, spanId: rec.spanId } };
}

/**
 * gen_ai.client.inference.operation.details. The spec'd event carries the
 * whole interaction (operation, model, usage, messages) → an Interaction.
 * Instrumentations also emit it in halves — the OpenAI Responses API
 * instrumentation sends the input messages at request time and the output
 * messages later, with only gen_ai.provider.name beside them — and then it
 * is content for the span that carries everything else → a ContentFragment.
 */
function operationDetails(
  rec: LogRecord,
  timeMs: number,
  hasSpan: boolean,
  resource: ResourceInfo,
  ctx: ReadContext,
  sink: Sink,
  position: number,
): void {
  const a = rec.attributes;
  const content = readSemconvContent(a, ctx);
  const describesCall =
    a.has('gen_ai.operation.name') ||
    a.has('gen_ai.request.model') ||
    a.has('gen_ai.response.model') ||
    a.has('gen_ai.response.id') ||
    a.has('gen_ai.usage.input_tokens') ||
    a.has('gen_ai.usage.output_tokens');

  if (!describesCall) {
    if (!hasSpan) {
      sink.drop('missing_context');
      return;
    }
    sink.out.push({
      kind: 'content',
      span: { traceId: rec.traceId, spanId: rec.spanId },
      timeMs,
      dialect: 'otel_genai_event',
      systemInstructions: content.systemInstructions,
      inputMessages: content.inputMessages,
      outputMessages: content.outputMessages,
      sequence: position,
    });
    return;
  }

  const it = newInteraction('otel_genai_event', { traceId: rec.traceId, spanId: rec.spanId }, '', timeMs, timeMs, resource);
  // An event is an instant: it has no duration to report.
  delete it.latencyMs;
  readSemconv(a, it);
  applyContent(it, content);
  if (!hasSpan && requestIdFor(a, it.responseId, ctx.cfg) === undefined) {
    // Neither a request id nor a span context: nothing could ever join it.
    sink.drop('missing_context');
    return;
  }
  finishInteraction(it, a, ctx);
  sink.out.push(it);
}
