import type { Message } from '../../../model';
import type { AnyValue } from '../../../otlp/types';
import { emptyContent, type SpanDialect } from '../common';
import { parseMessages } from '../messages';
import { structured } from '../values';

// The early GenAI convention (semconv ≤1.26 and many hand-rolled spans):
// `gen_ai.prompt` / `gen_ai.completion` as span attributes, or as span events
// (`gen_ai.content.prompt` / `gen_ai.content.completion`, also seen simply as
// `gen_ai.prompt` / `gen_ai.completion`) carrying those attributes. Values are
// a JSON list of { role, content } messages or plain text. Usage is
// gen_ai.usage.prompt_tokens / completion_tokens (read by readSemconv).

export const PROMPT = 'gen_ai.prompt';
export const COMPLETION = 'gen_ai.completion';

export function isLegacyPromptEvent(name: string): boolean {
  return name === 'gen_ai.content.prompt' || name === PROMPT;
}

export function isLegacyCompletionEvent(name: string): boolean {
  return name === 'gen_ai.content.completion' || name === COMPLETION;
}

export const legacy: SpanDialect = {
  dialect: 'legacy_prompt_completion',
  fields() {
    // Its usage attributes are the old semconv names, read by readSemconv.
  },
  content(span) {
    const c = emptyContent();
    addMessages(c.inputMessages, span.attributes.get(PROMPT), 'user');
    addMessages(c.outputMessages, span.attributes.get(COMPLETION), 'assistant');
    for (const e of span.events) {
      if (isLegacyPromptEvent(e.name)) addMessages(c.inputMessages, e.attributes.get(PROMPT), 'user');
      else if (isLegacyCompletionEvent(e.name)) addMessages(c.outputMessages, e.attributes.get(COMPLETION), 'assistant');
    }
    return c;
  },
};

function addMessages(out: Message[], v: AnyValue | undefined, role: string): void {
  if (v === undefined || v === null) return;
  const r = structured(v);
  if (r.malformed) {
    // Free text that merely starts like JSON is still the prompt: keep it as text.
    if (typeof v === 'string') out.push({ role, parts: [{ type: 'text', content: v }] });
    return;
  }
  for (const m of parseMessages(r.value, role)) out.push(m);
}
