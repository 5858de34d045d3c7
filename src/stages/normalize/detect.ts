import type { Dialect } from '../../model';
import type { Attributes } from '../../otlp/types';
import type { SpanDialect } from './common';
import { legacy } from './dialects/legacy';
import { otel136 } from './dialects/otel-1-36';
import { otelCurrent } from './dialects/otel-current';
import { openinference } from './dialects/openinference';
import { openllmetry } from './dialects/openllmetry';
import { vercelAi } from './dialects/vercel-ai';

// Which dialects a span speaks, from exact-key lookups (Map.has, no scans, no
// regexes). A span often carries several: OpenLLMetry and the Vercel AI SDK
// both set gen_ai.system and gen_ai.request.*, semconv 1.26 spans put
// gen_ai.prompt events next to gen_ai.system, an app may add gen_ai.prompt to
// a current semconv span. How they combine (spans.ts):
//
// - fields: every dialect present fills what the ones before it left unset,
//   in the order below;
// - content: the most structured source wins —
//     otel_genai_current > vercel_ai_sdk > openinference > openllmetry > legacy_prompt_completion
//   and lower ones fill only the message sides still empty;
// - the interaction's dialect is the one its content came from; with no
//   content on the span, the first dialect present in the order below.
//
// Semconv ≤1.36 (otel_genai_1_36) never carries content on the span — it
// arrives as log records the join merges in — so it is the dialect of a
// span only when it has semconv attributes and no content-bearing dialect.
// (otel_genai_event is a log record, so it never competes with a span.)

export const M_CURRENT = 1;
export const M_VERCEL = 2;
export const M_OPENINFERENCE = 4;
export const M_OPENLLMETRY = 8;
export const M_136 = 16;
export const M_LEGACY = 32;

/** In precedence order (otel136 reads no content, so its place only matters for the label of content-less spans). */
export const SPAN_DIALECTS: readonly { mask: number; reader: SpanDialect }[] = [
  { mask: M_CURRENT, reader: otelCurrent },
  { mask: M_VERCEL, reader: vercelAi },
  { mask: M_OPENINFERENCE, reader: openinference },
  { mask: M_OPENLLMETRY, reader: openllmetry },
  { mask: M_136, reader: otel136 },
  { mask: M_LEGACY, reader: legacy },
];

/** Bit set of the dialects present. `legacyEvents`: the span has gen_ai.content.prompt/completion events. */
export function detectMask(a: Attributes, legacyEvents: boolean): number {
  let m = 0;
  if (a.has('gen_ai.provider.name') || a.has('gen_ai.input.messages') || a.has('gen_ai.output.messages') || a.has('gen_ai.system_instructions')) {
    m |= M_CURRENT;
  }
  if (a.has('ai.operationId') || a.has('ai.model.id')) m |= M_VERCEL;
  if (a.has('openinference.span.kind') || a.has('llm.model_name') || a.has('llm.input_messages.0.message.role') || a.has('llm.token_count.prompt')) {
    m |= M_OPENINFERENCE;
  }
  if (
    a.has('gen_ai.prompt.0.role') ||
    a.has('gen_ai.prompt.0.content') ||
    a.has('gen_ai.completion.0.role') ||
    a.has('gen_ai.completion.0.content') ||
    a.has('gen_ai.completion.0.tool_calls.0.name') ||
    a.has('llm.request.type') ||
    a.has('llm.usage.total_tokens')
  ) {
    m |= M_OPENLLMETRY;
  }
  if (
    a.has('gen_ai.system') ||
    a.has('gen_ai.operation.name') ||
    a.has('gen_ai.request.model') ||
    a.has('gen_ai.response.model') ||
    a.has('gen_ai.usage.input_tokens') ||
    a.has('gen_ai.usage.output_tokens')
  ) {
    m |= M_136;
  }
  if (legacyEvents || a.has('gen_ai.prompt') || a.has('gen_ai.completion') || a.has('gen_ai.usage.prompt_tokens')) m |= M_LEGACY;
  return m;
}

/**
 * No dialect matched, but the span looks like GenAI (a gen_ai.*, llm.* or ai.*
 * attribute): it passes as 'unknown' with the semconv fields it has.
 */
export function looksGenAi(a: Attributes): boolean {
  for (const k of a.keys()) {
    if (k.startsWith('gen_ai.') || k.startsWith('llm.') || k.startsWith('ai.')) return true;
  }
  return false;
}

export const UNKNOWN: Dialect = 'unknown';
