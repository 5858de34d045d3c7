import type { Message, MessagePart } from '../../../model';
import type { Attributes } from '../../../otlp/types';
import { emptyContent, operationFromType, type SpanDialect } from '../common';
import { parsePart } from '../messages';
import { asText, setIf, str, structured } from '../values';

// OpenLLMetry (Traceloop): messages flattened into indexed attributes.
//   gen_ai.prompt.{i}.role / .content / .tool_call_id / .tool_calls.{j}.{id,name,arguments}
//   gen_ai.completion.{i}.role / .content / .refusal / .finish_reason / .tool_calls.{j}.{id,name,arguments}
// Content is a string, or a JSON list of OpenAI content parts for multimodal
// prompts. Also: gen_ai.system, llm.request.type (chat | completion | embedding
// | rerank), llm.usage.total_tokens, gen_ai.usage.prompt_tokens / input_tokens…

const MAX_MESSAGES = 10_000; // a bound on the index walk, far above any real prompt

export const openllmetry: SpanDialect = {
  dialect: 'openllmetry',
  fields(span, it) {
    if (it.operation === undefined) {
      const t = str(span.attributes, 'llm.request.type');
      if (t !== undefined) it.operation = operationFromType(t);
    }
  },
  content(span) {
    const c = emptyContent();
    c.inputMessages = readIndexed(span.attributes, 'gen_ai.prompt.', 'user');
    c.outputMessages = readIndexed(span.attributes, 'gen_ai.completion.', 'assistant');
    return c;
  },
};

function readIndexed(attrs: Attributes, prefix: string, defaultRole: string): Message[] {
  const out: Message[] = [];
  for (let i = 0; i < MAX_MESSAGES; i++) {
    const p = prefix + i + '.';
    const role = str(attrs, p + 'role');
    const content = attrs.get(p + 'content');
    const firstCall = attrs.get(p + 'tool_calls.0.name');
    const callId = str(attrs, p + 'tool_call_id');
    const finish = str(attrs, p + 'finish_reason');
    const refusal = str(attrs, p + 'refusal');
    if (role === undefined && content === undefined && firstCall === undefined && callId === undefined && finish === undefined && refusal === undefined) break;
    const msg: Message = { role: role ?? defaultRole, parts: [] };
    if (content !== undefined && content !== null) {
      if (callId !== undefined) {
        msg.parts.push({ type: 'tool_call_response', id: callId, response: asText(content) ?? '' });
      } else {
        pushContent(msg.parts, content);
      }
    }
    if (refusal !== undefined) msg.parts.push({ type: 'other', originalType: 'refusal', content: refusal });
    if (firstCall !== undefined) readToolCalls(attrs, p + 'tool_calls.', msg.parts);
    setIf(msg, 'finishReason', finish);
    out.push(msg);
  }
  return out;
}

/** Content is text, or (multimodal prompts) a JSON list of content parts. */
function pushContent(parts: MessagePart[], content: unknown): void {
  if (typeof content === 'string') {
    const r = structured(content);
    if (Array.isArray(r.value)) {
      for (const item of r.value) {
        const part = parsePart(item);
        if (part !== undefined) parts.push(part);
      }
      return;
    }
    // Text that only looks like JSON (or is not a list) is the content as written.
    parts.push({ type: 'text', content });
    return;
  }
  const text = asText(content);
  if (text !== undefined) parts.push({ type: 'text', content: text });
}

function readToolCalls(attrs: Attributes, prefix: string, parts: MessagePart[]): void {
  for (let j = 0; j < MAX_MESSAGES; j++) {
    const p = prefix + j + '.';
    const name = str(attrs, p + 'name');
    if (name === undefined) break;
    parts.push({ type: 'tool_call', id: str(attrs, p + 'id') ?? '', name, arguments: asText(attrs.get(p + 'arguments')) ?? '' });
  }
}
