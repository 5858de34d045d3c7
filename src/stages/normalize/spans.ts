import type { FeedbackTarget, PipelineEvent, ResourceInfo } from '../../model';
import type { Span } from '../../otlp/types';
import { applyContent, finishInteraction, newInteraction, readSemconv, type Content, type ReadContext, type SpanDialect } from './common';
import { M_OPENINFERENCE, SPAN_DIALECTS, UNKNOWN, detectMask, looksGenAi } from './detect';
import { isLegacyCompletionEvent, isLegacyPromptEvent } from './dialects/legacy';
import { SPAN_KIND } from './dialects/openinference';
import { OPERATION_ID, vercelSpanRole } from './dialects/vercel-ai';
import { EVALUATION_EVENT, FEEDBACK_EVENT, FEEDBACK_KIND, evaluationSignal, feedbackSignal, type FeedbackResult } from './feedback';
import { num, str } from './values';

// One span in, zero or more events out: feedback found in its span events,
// then the span itself as an interaction, a feedback signal, or a drop.

/** Span events that mark the first streamed chunk (Vercel AI SDK, OpenLLMetry). */
const FIRST_CHUNK_EVENTS: ReadonlySet<string> = new Set(['ai.stream.firstChunk', 'llm.content.completion.chunk', 'gen_ai.completion.chunk']);

export interface Sink {
  out: PipelineEvent[];
  drop(reason: string): void;
}

export function normalizeSpan(span: Span, resource: ResourceInfo, ctx: ReadContext, sink: Sink): void {
  const a = span.attributes;
  let produced = 0;
  let legacyEvents = false;
  let firstChunkMs: number | undefined;

  // One pass over the events: feedback and evaluations, legacy content, first chunk.
  const events = span.events;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const name = e.name;
    if (name === FEEDBACK_EVENT || name === EVALUATION_EVENT) {
      const origin = { form: 'span_event' as const, traceId: span.traceId, spanId: span.spanId, eventIndex: i, timeMs: e.timeMs };
      const here: FeedbackTarget = { span: { traceId: span.traceId, spanId: span.spanId } };
      const r = name === FEEDBACK_EVENT ? feedbackSignal(e.attributes, origin, here, ctx.cfg) : evaluationSignal(e.attributes, origin, here);
      if (emit(r, sink)) produced++;
    } else if (isLegacyPromptEvent(name) || isLegacyCompletionEvent(name)) {
      legacyEvents = true;
    } else if (firstChunkMs === undefined && FIRST_CHUNK_EVENTS.has(name)) {
      firstChunkMs =
        num(e.attributes, 'ai.response.msToFirstChunk') ?? num(e.attributes, 'ai.stream.msToFirstChunk') ?? Math.max(0, e.timeMs - span.startTimeMs);
    }
  }

  // A feedback span is a signal about another interaction, never one itself.
  if (a.has(FEEDBACK_KIND)) {
    const link = span.links[0];
    const fallback = link !== undefined && link.spanId !== '' ? { span: { traceId: link.traceId, spanId: link.spanId } } : undefined;
    const origin = { form: 'span' as const, traceId: span.traceId, spanId: span.spanId, eventIndex: -1, timeMs: span.startTimeMs };
    emit(feedbackSignal(a, origin, fallback, ctx.cfg), sink);
    return;
  }

  const mask = detectMask(a, legacyEvents);
  if (mask === 0 && !looksGenAi(a)) {
    if (produced === 0) sink.drop('not_genai');
    return;
  }

  const skip = skipReason(span, mask, ctx);
  if (skip !== undefined) {
    if (produced === 0) sink.drop(skip);
    return;
  }

  const it = newInteraction(UNKNOWN, span, span.parentSpanId, span.startTimeMs, span.endTimeMs, resource);
  readSemconv(a, it);
  // Status ERROR without error.type: semconv's fallback value for an unnamed error class.
  if (it.errorType === undefined && span.statusCode === 2) it.errorType = '_OTHER';
  let first: SpanDialect | undefined;
  for (const d of SPAN_DIALECTS) {
    if ((mask & d.mask) === 0) continue;
    first ??= d.reader;
    d.reader.fields(span, it, ctx);
  }
  let source: SpanDialect | undefined;
  for (const d of SPAN_DIALECTS) {
    if ((mask & d.mask) === 0) continue;
    if (it.inputMessages.length > 0 && it.outputMessages.length > 0) break;
    const c = d.reader.content(span, ctx);
    if (source === undefined && hasContent(c)) source = d.reader;
    applyContent(it, c);
  }
  it.dialect = (source ?? first)?.dialect ?? UNKNOWN;
  if (it.timeToFirstChunkMs === undefined && firstChunkMs !== undefined) it.timeToFirstChunkMs = firstChunkMs;
  finishInteraction(it, a, ctx);
  sink.out.push(it);
}

/** Spans that speak a GenAI dialect but are not one model call. */
function skipReason(span: Span, mask: number, ctx: ReadContext): string | undefined {
  const a = span.attributes;
  const op = str(a, 'gen_ai.operation.name');
  if (op !== undefined && ctx.cfg.skipOperations.has(op)) return 'not_model_call';
  const vercelOp = str(a, OPERATION_ID);
  if (vercelOp !== undefined) {
    const role = vercelSpanRole(vercelOp);
    if (role !== 'model_call') return role;
  }
  if ((mask & M_OPENINFERENCE) !== 0) {
    const kind = str(a, SPAN_KIND);
    if (kind !== undefined && kind.toUpperCase() !== 'LLM') return 'not_model_call';
  }
  return undefined;
}

function hasContent(c: Content): boolean {
  return c.inputMessages.length > 0 || c.outputMessages.length > 0 || c.systemInstructions.length > 0;
}

function emit(r: FeedbackResult, sink: Sink): boolean {
  if ('dropped' in r) {
    sink.drop(r.dropped);
    return false;
  }
  sink.out.push(r);
  return true;
}
