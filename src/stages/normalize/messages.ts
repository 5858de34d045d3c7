import type { Message, MessagePart } from '../../model';
import { asNonEmptyString, asString, asText, field, isRecordLike } from './values';

// One message parser for every shape GenAI content comes in:
// - semconv messages: { role, parts: [{ type: text|tool_call|tool_call_response|reasoning|… }], finish_reason }
// - OpenAI-style chat messages (semconv ≤1.36 log bodies, legacy JSON, OpenInference input.value):
//   { role, content: string | [{ type: text, text }], tool_calls: [{ id, function: { name, arguments } }], tool_call_id }
// - Vercel AI SDK prompt messages: content parts { type: tool-call|tool-result, toolCallId, toolName, input|args, output|result }
// - Anthropic-style blocks (tool_use, tool_result, thinking) that some instrumentations pass through.
// Unreadable pieces are skipped, never thrown: a message passes with what could be read.

/** One message from any supported shape. A bare string is a text message in `defaultRole`. */
export function parseMessage(node: unknown, defaultRole: string): Message | undefined {
  if (typeof node === 'string') return { role: defaultRole, parts: [{ type: 'text', content: node }] };
  if (!isRecordLike(node)) return undefined;
  const role = asNonEmptyString(field(node, 'role')) ?? defaultRole;
  const message: Message = { role, parts: [] };
  const parts = field(node, 'parts');
  if (Array.isArray(parts)) {
    pushParts(message.parts, parts);
  } else {
    const content = field(node, 'content');
    // A tool result message names the call it answers: its content is the response.
    const callId = asNonEmptyString(field(node, 'tool_call_id')) ?? (role === 'tool' ? asNonEmptyString(field(node, 'id')) : undefined);
    if (callId !== undefined && !isToolResultList(content)) {
      const response = textOf(content);
      if (response !== undefined) message.parts.push({ type: 'tool_call_response', id: callId, response });
    } else if (typeof content === 'string') {
      message.parts.push({ type: 'text', content });
    } else if (Array.isArray(content)) {
      pushParts(message.parts, content);
    } else if (isRecordLike(content)) {
      const p = parsePart(content);
      if (p !== undefined) message.parts.push(p);
    }
    const refusal = asNonEmptyString(field(node, 'refusal'));
    if (refusal !== undefined) message.parts.push({ type: 'other', originalType: 'refusal', content: refusal });
  }
  const toolCalls = field(node, 'tool_calls');
  if (Array.isArray(toolCalls)) {
    for (const tc of toolCalls) {
      const p = openAiToolCall(tc);
      if (p !== undefined) message.parts.push(p);
    }
  }
  const functionCall = field(node, 'function_call');
  if (isRecordLike(functionCall)) {
    // Legacy OpenAI function_call { name, arguments }: the same reader finds the fields on the node itself.
    const p = openAiToolCall(functionCall);
    if (p !== undefined) message.parts.push(p);
  }
  const name = asNonEmptyString(field(node, 'name'));
  if (name !== undefined) message.name = name;
  const finish = asNonEmptyString(field(node, 'finish_reason'));
  if (finish !== undefined) message.finishReason = finish;
  return message;
}

/** Vercel/Anthropic tool messages carry typed tool-result parts of their own. */
function isToolResultList(content: unknown): boolean {
  if (!Array.isArray(content)) return false;
  for (const c of content) {
    const t = field(c, 'type');
    if (t === 'tool-result' || t === 'tool_result' || t === 'tool_call_response') return true;
  }
  return false;
}

/** A tool message's content as one response text: a string, the text parts joined, or JSON. */
function textOf(content: unknown): string | undefined {
  if (content === undefined || content === null) return undefined;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    let s = '';
    for (const c of content) {
      const t = typeof c === 'string' ? c : asString(field(c, 'text'));
      if (t !== undefined) s += t;
    }
    return s;
  }
  return asText(content);
}

/** A list of messages; a single message object or string is a list of one. */
export function parseMessages(value: unknown, defaultRole: string): Message[] {
  const out: Message[] = [];
  if (Array.isArray(value)) {
    for (const m of value) {
      const msg = parseMessage(m, defaultRole);
      if (msg !== undefined) out.push(msg);
    }
  } else if (value !== undefined && value !== null) {
    const msg = parseMessage(value, defaultRole);
    if (msg !== undefined) out.push(msg);
  }
  return out;
}

/**
 * gen_ai.system_instructions: a list of parts per the schema; a plain string
 * (the Responses API instrumentation sets the raw instructions) is one text part.
 */
export function parseInstructions(value: unknown): MessagePart[] {
  if (typeof value === 'string') return value === '' ? [] : [{ type: 'text', content: value }];
  const out: MessagePart[] = [];
  if (Array.isArray(value)) {
    pushParts(out, value);
  } else if (isRecordLike(value)) {
    const p = parsePart(value);
    if (p !== undefined) out.push(p);
  }
  return out;
}

function pushParts(out: MessagePart[], list: readonly unknown[]): void {
  for (const item of list) {
    const p = parsePart(item);
    if (p !== undefined) out.push(p);
  }
}

/** One content part in any of the supported vocabularies. */
export function parsePart(node: unknown): MessagePart | undefined {
  if (typeof node === 'string') return { type: 'text', content: node };
  if (!isRecordLike(node)) return undefined;
  const type = asString(field(node, 'type')) ?? 'text';
  switch (type) {
    case 'text':
    case 'input_text':
    case 'output_text': {
      const content = asString(field(node, 'content')) ?? asString(field(node, 'text'));
      return content === undefined ? undefined : { type: 'text', content };
    }
    case 'reasoning':
    case 'thinking': {
      const content = asString(field(node, 'content')) ?? asString(field(node, 'text')) ?? asString(field(node, 'thinking'));
      return content === undefined ? undefined : { type: 'reasoning', content };
    }
    case 'tool_call':
    case 'tool-call':
    case 'tool_use':
    case 'function_call': {
      const name = asString(field(node, 'name')) ?? asString(field(node, 'toolName'));
      if (name === undefined) return undefined;
      const id = asString(field(node, 'id')) ?? asString(field(node, 'toolCallId')) ?? asString(field(node, 'call_id')) ?? '';
      const args = firstDefined(node, ARGUMENT_FIELDS);
      return { type: 'tool_call', id, name, arguments: asText(args) ?? '' };
    }
    case 'tool_call_response':
    case 'tool-result':
    case 'tool_result':
    case 'function_call_output': {
      const id =
        asString(field(node, 'id')) ?? asString(field(node, 'toolCallId')) ?? asString(field(node, 'tool_use_id')) ?? asString(field(node, 'call_id')) ?? '';
      let response = firstDefined(node, RESPONSE_FIELDS);
      // Vercel AI SDK ≥5 wraps tool output as { type: 'json' | 'text' | 'error-text' …, value }.
      if (isRecordLike(response) && field(response, 'value') !== undefined && field(response, 'type') !== undefined) {
        response = field(response, 'value');
      }
      return { type: 'tool_call_response', id, response: asText(response) ?? '' };
    }
    default:
      return { type: 'other', originalType: type, content: otherContent(node, type) };
  }
}

const ARGUMENT_FIELDS = ['arguments', 'input', 'args'] as const;
const RESPONSE_FIELDS = ['response', 'result', 'output', 'content'] as const;

function firstDefined(node: unknown, keys: readonly string[]): unknown {
  for (const k of keys) {
    const v = field(node, k);
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}

/** OpenAI tool call { id, type, function: { name, arguments } } → a tool_call part. */
function openAiToolCall(tc: unknown): MessagePart | undefined {
  if (!isRecordLike(tc)) return undefined;
  const fn = field(tc, 'function');
  const name = asString(field(fn, 'name')) ?? asString(field(tc, 'name'));
  if (name === undefined) return undefined;
  const args = field(fn, 'arguments') ?? field(tc, 'arguments');
  return { type: 'tool_call', id: asString(field(tc, 'id')) ?? '', name, arguments: asText(args) ?? '' };
}

/**
 * A textual form for parts the model has no type for: a refusal's text, a
 * file's URI or id. Inline bytes (blob parts, data: URLs) are not kept —
 * only their media type — so a record never balloons with base64.
 */
function otherContent(node: unknown, type: string): string {
  for (const k of OTHER_TEXT_FIELDS) {
    if (k === 'content' && type === 'blob') continue;
    const v = field(node, k);
    if (typeof v === 'string') return stripDataUrl(v);
  }
  const image = field(node, 'image_url');
  const url = typeof image === 'string' ? image : asString(field(image, 'url'));
  if (url !== undefined) return stripDataUrl(url);
  return asString(field(node, 'mime_type')) ?? '';
}

const OTHER_TEXT_FIELDS = ['content', 'text', 'refusal', 'uri', 'url', 'file_id'] as const;

const DATA_URL_END = /[;,]/;

function stripDataUrl(s: string): string {
  if (!s.startsWith('data:')) return s;
  const end = s.search(DATA_URL_END);
  return end < 0 ? 'data:' : s.slice(0, end);
}
