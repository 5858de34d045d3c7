import type { Interaction, Message, MessagePart } from '../../../model';
import type { Attributes } from '../../../otlp/types';
import { emptyContent, type Content, type ReadContext, type SpanDialect } from '../common';
import { parseMessages, parsePart } from '../messages';
import { asNonEmptyString, asNumber, asStringList, asText, field, num, setIf, str, structured } from '../values';

// OpenInference (Arize Phoenix): openinference.span.kind = LLM, and
//   llm.model_name, llm.provider / llm.system,
//   llm.input_messages.{i}.message.{role,content,name,tool_call_id}
//   llm.input_messages.{i}.message.contents.{j}.message_content.{type,text,image.image.url}
//   llm.input_messages.{i}.message.tool_calls.{j}.tool_call.{id,function.name,function.arguments}
//   llm.output_messages.{i}.message.*  (same shape)
//   llm.token_count.{prompt,completion,total,prompt_details.cache_read,prompt_details.cache_write,completion_details.reasoning}
//   llm.invocation_parameters (JSON), llm.prompt_template.version,
//   input.value / output.value with input.mime_type / output.mime_type.
// There is no response id attribute; when output.value is a JSON response
// body its `id` is used.
// Other span kinds (CHAIN, TOOL, RETRIEVER, AGENT, EMBEDDING…) are not LLM calls.

export const SPAN_KIND = 'openinference.span.kind';
const MAX_INDEX = 10_000;

export const openinference: SpanDialect = {
  dialect: 'openinference',
  fields(span, it, ctx) {
    const a = span.attributes;
    if (it.provider === undefined) setIf(it, 'provider', str(a, 'llm.provider') ?? str(a, 'llm.system'));
    if (it.requestModel === undefined) setIf(it, 'requestModel', str(a, 'llm.model_name'));
    if (it.operation === undefined) it.operation = 'chat';
    if (it.promptVersion === undefined) setIf(it, 'promptVersion', str(a, 'llm.prompt_template.version'));
    const u = it.usage;
    if (u.inputTokens === undefined) setIf(u, 'inputTokens', num(a, 'llm.token_count.prompt'));
    if (u.outputTokens === undefined) setIf(u, 'outputTokens', num(a, 'llm.token_count.completion'));
    if (u.totalTokens === undefined) setIf(u, 'totalTokens', num(a, 'llm.token_count.total'));
    if (u.cacheReadInputTokens === undefined) setIf(u, 'cacheReadInputTokens', num(a, 'llm.token_count.prompt_details.cache_read'));
    if (u.cacheCreationInputTokens === undefined) setIf(u, 'cacheCreationInputTokens', num(a, 'llm.token_count.prompt_details.cache_write'));
    if (u.reasoningTokens === undefined) setIf(u, 'reasoningTokens', num(a, 'llm.token_count.completion_details.reasoning'));
    const inv = a.get('llm.invocation_parameters');
    if (inv !== undefined) readInvocationParameters(inv, it, ctx);
  },
  content(span, ctx) {
    const a = span.attributes;
    const c = emptyContent();
    c.inputMessages = readIndexed(a, 'llm.input_messages.', 'user');
    c.outputMessages = readIndexed(a, 'llm.output_messages.', 'assistant');
    // The raw payloads stand in for messages only when none were recorded;
    // a JSON response body is read in any case, for the response id it alone carries.
    if (c.inputMessages.length === 0) readInput(a, c, ctx);
    readOutput(a, c, ctx);
    return c;
  },
};

/** The parameters sent to the model, in the provider's own names (OpenAI's, mostly). */
function readInvocationParameters(v: unknown, it: Interaction, ctx: ReadContext): void {
  let p: unknown = v;
  if (typeof v === 'string') {
    const r = structured(v);
    if (r.malformed) ctx.malformed++;
    p = r.value;
  }
  const params = it.params;
  if (params.temperature === undefined) setIf(params, 'temperature', asNumber(field(p, 'temperature')));
  if (params.topP === undefined) setIf(params, 'topP', asNumber(field(p, 'top_p')));
  if (params.topK === undefined) setIf(params, 'topK', asNumber(field(p, 'top_k')));
  if (params.maxTokens === undefined) {
    setIf(params, 'maxTokens', asNumber(field(p, 'max_tokens')) ?? asNumber(field(p, 'max_completion_tokens')) ?? asNumber(field(p, 'max_output_tokens')));
  }
  if (params.frequencyPenalty === undefined) setIf(params, 'frequencyPenalty', asNumber(field(p, 'frequency_penalty')));
  if (params.presencePenalty === undefined) setIf(params, 'presencePenalty', asNumber(field(p, 'presence_penalty')));
  if (params.seed === undefined) setIf(params, 'seed', asNumber(field(p, 'seed')));
  if (params.choiceCount === undefined) setIf(params, 'choiceCount', asNumber(field(p, 'n')));
  if (params.stopSequences === undefined) setIf(params, 'stopSequences', asStringList(field(p, 'stop')));
}

function readIndexed(a: Attributes, prefix: string, defaultRole: string): Message[] {
  const out: Message[] = [];
  for (let i = 0; i < MAX_INDEX; i++) {
    const p = prefix + i + '.message.';
    const role = str(a, p + 'role');
    const content = a.get(p + 'content');
    const firstPart = a.get(p + 'contents.0.message_content.type');
    const firstCall = a.get(p + 'tool_calls.0.tool_call.function.name');
    if (role === undefined && content === undefined && firstPart === undefined && firstCall === undefined) break;
    const msg: Message = { role: role ?? defaultRole, parts: [] };
    const callId = str(a, p + 'tool_call_id');
    if (content !== undefined && content !== null) {
      const text = asText(content) ?? '';
      msg.parts.push(callId !== undefined ? { type: 'tool_call_response', id: callId, response: text } : { type: 'text', content: text });
    }
    if (firstPart !== undefined) readContents(a, p + 'contents.', msg.parts);
    if (firstCall !== undefined) readToolCalls(a, p + 'tool_calls.', msg.parts);
    setIf(msg, 'name', str(a, p + 'name'));
    out.push(msg);
  }
  return out;
}

function readContents(a: Attributes, prefix: string, parts: MessagePart[]): void {
  for (let j = 0; j < MAX_INDEX; j++) {
    const p = prefix + j + '.message_content.';
    const type = str(a, p + 'type');
    if (type === undefined) break;
    if (type === 'text') {
      parts.push({ type: 'text', content: str(a, p + 'text') ?? '' });
    } else {
      const url = str(a, p + type + '.' + type + '.url') ?? '';
      const part = parsePart({ type, url });
      if (part !== undefined) parts.push(part);
    }
  }
}

function readToolCalls(a: Attributes, prefix: string, parts: MessagePart[]): void {
  for (let j = 0; j < MAX_INDEX; j++) {
    const p = prefix + j + '.tool_call.';
    const name = str(a, p + 'function.name');
    if (name === undefined) break;
    parts.push({ type: 'tool_call', id: str(a, p + 'id') ?? '', name, arguments: asText(a.get(p + 'function.arguments')) ?? '' });
  }
}

/** input.value: an OpenAI-style JSON request ({ messages }) or text. */
function readInput(a: Attributes, c: Content, ctx: ReadContext): void {
  const value = a.get('input.value');
  if (typeof value !== 'string' || value === '') return;
  if (str(a, 'input.mime_type') !== 'application/json') {
    pushText(c.inputMessages, 'user', value);
    return;
  }
  const r = structured(value);
  if (r.malformed) {
    ctx.malformed++;
    return;
  }
  const messages = field(r.value, 'messages');
  if (Array.isArray(messages)) c.inputMessages = parseMessages(messages, 'user');
  else pushText(c.inputMessages, 'user', value);
}

/** output.value: an OpenAI-style JSON response ({ id, choices }) or text. */
function readOutput(a: Attributes, c: Content, ctx: ReadContext): void {
  const value = a.get('output.value');
  if (typeof value !== 'string' || value === '') return;
  const need = c.outputMessages.length === 0;
  if (str(a, 'output.mime_type') !== 'application/json') {
    if (need) pushText(c.outputMessages, 'assistant', value);
    return;
  }
  const r = structured(value);
  if (r.malformed) {
    ctx.malformed++;
    return;
  }
  const doc = r.value;
  setIf(c, 'responseId', asNonEmptyString(field(doc, 'id')));
  if (!need) return;
  const choices = field(doc, 'choices');
  if (!Array.isArray(choices)) {
    pushText(c.outputMessages, 'assistant', value);
    return;
  }
  for (const ch of choices) {
    const m = parseMessages(field(ch, 'message'), 'assistant')[0];
    if (m === undefined) continue;
    setIf(m, 'finishReason', asNonEmptyString(field(ch, 'finish_reason')));
    c.outputMessages.push(m);
  }
}

function pushText(out: Message[], role: string, text: string): void {
  out.push({ role, parts: [{ type: 'text', content: text }] });
}
