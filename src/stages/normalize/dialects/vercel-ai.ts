import type { Message, MessagePart } from '../../../model';
import type { Attributes } from '../../../otlp/types';
import { emptyContent, type ReadContext, type SpanDialect } from '../common';
import { parseMessages, parsePart } from '../messages';
import { asNonEmptyString, asText, field, num, setIf, str, structured } from '../values';

// Vercel AI SDK (experimental_telemetry). Each call records an outer span
// (ai.generateText, ai.streamText, ai.generateObject, ai.streamObject) around
// one inner span per model call (ai.generateText.doGenerate,
// ai.streamText.doStream, …) plus ai.toolCall spans. The inner spans are the
// model calls and also carry gen_ai.system / gen_ai.request.* / gen_ai.response.*.
//
// Rule: the inner spans are the interactions. Outer spans are dropped
// (`wrapper_span`): they repeat what their inner spans say, and a multi-step
// tool loop has several inner calls that would otherwise be counted twice.
// ai.toolCall spans are not model calls (`not_model_call`).
//
// Attribute names changed across SDK versions; both are read:
//   ai.result.text → ai.response.text, ai.finishReason → ai.response.finishReason,
//   ai.usage.promptTokens/completionTokens → ai.usage.inputTokens/outputTokens,
//   ai.stream.msToFirstChunk → ai.response.msToFirstChunk.

export const OPERATION_ID = 'ai.operationId';
const METADATA_PREFIX = 'ai.telemetry.metadata.';

/** What to do with a span that has ai.operationId: an interaction, or dropped with a reason. */
export function vercelSpanRole(operationId: string): 'model_call' | 'wrapper_span' | 'not_model_call' {
  switch (operationId) {
    case 'ai.generateText':
    case 'ai.streamText':
    case 'ai.generateObject':
    case 'ai.streamObject':
    case 'ai.embed':
    case 'ai.embedMany':
      return 'wrapper_span';
    case 'ai.toolCall':
      return 'not_model_call';
    default:
      return 'model_call';
  }
}

function operationName(operationId: string): string {
  if (operationId.endsWith('.doEmbed')) return 'embeddings';
  if (operationId.endsWith('.doGenerate') || operationId.endsWith('.doStream')) return 'chat';
  return operationId;
}

export const vercelAi: SpanDialect = {
  dialect: 'vercel_ai_sdk',
  fields(span, it) {
    const a = span.attributes;
    if (it.operation === undefined) {
      const op = str(a, OPERATION_ID);
      if (op !== undefined) it.operation = operationName(op);
    }
    if (it.provider === undefined) setIf(it, 'provider', str(a, 'ai.model.provider'));
    if (it.requestModel === undefined) setIf(it, 'requestModel', str(a, 'ai.model.id'));
    if (it.responseModel === undefined) setIf(it, 'responseModel', str(a, 'ai.response.model'));
    if (it.responseId === undefined) setIf(it, 'responseId', str(a, 'ai.response.id'));

    const u = it.usage;
    if (u.inputTokens === undefined) setIf(u, 'inputTokens', num(a, 'ai.usage.inputTokens') ?? num(a, 'ai.usage.promptTokens') ?? num(a, 'ai.usage.tokens'));
    if (u.outputTokens === undefined) setIf(u, 'outputTokens', num(a, 'ai.usage.outputTokens') ?? num(a, 'ai.usage.completionTokens'));
    if (u.totalTokens === undefined) setIf(u, 'totalTokens', num(a, 'ai.usage.totalTokens'));
    if (u.reasoningTokens === undefined) setIf(u, 'reasoningTokens', num(a, 'ai.usage.reasoningTokens'));
    if (u.cacheReadInputTokens === undefined) setIf(u, 'cacheReadInputTokens', num(a, 'ai.usage.cachedInputTokens'));

    if (it.finishReasons.length === 0) {
      const f = str(a, 'ai.response.finishReason') ?? str(a, 'ai.finishReason');
      if (f !== undefined) it.finishReasons = [f];
    }
    if (it.timeToFirstChunkMs === undefined) {
      setIf(it, 'timeToFirstChunkMs', num(a, 'ai.response.msToFirstChunk') ?? num(a, 'ai.stream.msToFirstChunk'));
    }
    // telemetry.metadata is what the application chose to attach for exactly this purpose.
    for (const [k, v] of a) {
      if (k.startsWith(METADATA_PREFIX) || k === 'ai.telemetry.functionId') {
        const s = asText(v);
        if (s !== undefined) it.extra[k] = s;
      }
    }
  },
  content(span, ctx) {
    const a = span.attributes;
    const c = emptyContent();
    const messages = a.get('ai.prompt.messages');
    if (messages !== undefined) {
      c.inputMessages = parseMessages(json(messages, ctx), 'user');
    } else {
      readPrompt(a, c.systemInstructions, c.inputMessages, ctx);
    }
    const out = outputMessage(a, ctx);
    if (out !== undefined) c.outputMessages = [out];
    return c;
  },
};

/** ai.prompt (outer spans, older SDKs): JSON { system, prompt, messages }. */
function readPrompt(a: Attributes, system: MessagePart[], input: Message[], ctx: ReadContext): void {
  const v = a.get('ai.prompt');
  if (v === undefined) return;
  const p = json(v, ctx);
  if (typeof p === 'string') {
    input.push({ role: 'user', parts: [{ type: 'text', content: p }] });
    return;
  }
  const sys = asNonEmptyString(field(p, 'system'));
  if (sys !== undefined) system.push({ type: 'text', content: sys });
  for (const m of parseMessages(field(p, 'prompt'), 'user')) input.push(m);
  for (const m of parseMessages(field(p, 'messages'), 'user')) input.push(m);
}

function outputMessage(a: Attributes, ctx: ReadContext): Message | undefined {
  const parts: MessagePart[] = [];
  const reasoning = str(a, 'ai.response.reasoning');
  if (reasoning !== undefined) parts.push({ type: 'reasoning', content: reasoning });
  const text = str(a, 'ai.response.text') ?? str(a, 'ai.result.text') ?? str(a, 'ai.response.object') ?? str(a, 'ai.result.object');
  if (text !== undefined) parts.push({ type: 'text', content: text });
  const calls = a.get('ai.response.toolCalls') ?? a.get('ai.result.toolCalls');
  if (calls !== undefined) {
    const list = json(calls, ctx);
    if (Array.isArray(list)) {
      for (const tc of list) {
        // { toolCallId, toolName, input } (SDK ≥5) or { toolCallType, toolCallId, toolName, args } (SDK 4).
        const part = parsePart(withType(tc));
        if (part !== undefined) parts.push(part);
      }
    }
  }
  if (parts.length === 0) return undefined;
  const msg: Message = { role: 'assistant', parts };
  setIf(msg, 'finishReason', str(a, 'ai.response.finishReason') ?? str(a, 'ai.finishReason'));
  return msg;
}

/** The response tool-call list has no part type: read each entry as a tool-call part. */
function withType(tc: unknown): unknown {
  if (tc === null || typeof tc !== 'object' || Array.isArray(tc)) return tc;
  return { ...(tc as Record<string, unknown>), type: 'tool-call' };
}

function json(v: unknown, ctx: ReadContext): unknown {
  if (typeof v !== 'string') return v;
  const r = structured(v);
  if (r.malformed) ctx.malformed++;
  return r.value;
}
