import type { AnyValue, Attributes } from '../../../otlp/types';
import { emptyContent, type Content, type ReadContext, type SpanDialect } from '../common';
import { parseInstructions, parseMessages } from '../messages';
import { structured } from '../values';

// OTel GenAI semconv, current (≥1.37): gen_ai.provider.name, and the content
// as gen_ai.input.messages / gen_ai.output.messages / gen_ai.system_instructions
// — JSON strings on spans (structured values are accepted too, as the spec
// prefers them where the SDK supports it, and as events always carry them).

export const INPUT_MESSAGES = 'gen_ai.input.messages';
export const OUTPUT_MESSAGES = 'gen_ai.output.messages';
export const SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions';

/** Reads the three content attributes from a span's or an event's attributes. */
export function readSemconvContent(attrs: Attributes, ctx: ReadContext): Content {
  const c = emptyContent();
  c.inputMessages = parseMessages(read(attrs.get(INPUT_MESSAGES), ctx), 'user');
  c.outputMessages = parseMessages(read(attrs.get(OUTPUT_MESSAGES), ctx), 'assistant');
  c.systemInstructions = parseInstructions(read(attrs.get(SYSTEM_INSTRUCTIONS), ctx));
  return c;
}

function read(v: AnyValue | undefined, ctx: ReadContext): unknown {
  if (v === undefined) return undefined;
  const r = structured(v);
  if (r.malformed) ctx.malformed++;
  return r.value;
}

export const otelCurrent: SpanDialect = {
  dialect: 'otel_genai_current',
  fields() {
    // Everything it names is read by readSemconv.
  },
  content(span, ctx) {
    return readSemconvContent(span.attributes, ctx);
  },
};
