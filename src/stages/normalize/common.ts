import type { Dialect, Interaction, Message, MessagePart, ResourceInfo, SpanRef, Usage } from '../../model';
import type { Attributes } from '../../otlp/types';
import type { NormalizeConfig } from './config';
import { asStringList, asText, firstString, num, setIf, str } from './values';

// What every dialect shares: the semconv gen_ai.* fields most of them carry
// (vendors set a subset), the join key, identities, resource and timing.
// Dialect readers overlay their own attributes on top of this base.

/** The config, resolved once at creation so the hot path does no lookups in lists it could do in sets. */
export interface Resolved {
  requestIdAttributes: readonly string[];
  userIdAttributes: readonly string[];
  sessionIdAttributes: readonly string[];
  keepAttributes: readonly string[];
  skipOperations: ReadonlySet<string>;
}

export function resolveConfig(config: NormalizeConfig): Resolved {
  return {
    requestIdAttributes: [...config.request_id_attributes],
    userIdAttributes: [...config.user_id_attributes],
    sessionIdAttributes: [...config.session_id_attributes],
    keepAttributes: [...config.keep_attributes],
    skipOperations: new Set(config.skip_operations),
  };
}

/** Per-call context handed to readers: counts partial reads without throwing. */
export interface ReadContext {
  readonly cfg: Resolved;
  /** Message attributes that were present but could not be parsed. */
  malformed: number;
}

/** What a dialect reads as content. */
export interface Content {
  systemInstructions: MessagePart[];
  inputMessages: Message[];
  outputMessages: Message[];
  /** A response id found inside the content (a raw response body), for dialects with no attribute for it. */
  responseId?: string;
}

export function emptyContent(): Content {
  return { systemInstructions: [], inputMessages: [], outputMessages: [] };
}

export function resourceInfo(attrs: Attributes): ResourceInfo {
  const info: ResourceInfo = {};
  setIf(info, 'serviceName', str(attrs, 'service.name'));
  setIf(info, 'serviceVersion', str(attrs, 'service.version'));
  setIf(info, 'environment', str(attrs, 'deployment.environment.name') ?? str(attrs, 'deployment.environment'));
  return info;
}

/** A fresh interaction with the span's identity and times; fields are filled by the readers. */
export function newInteraction(dialect: Dialect, span: SpanRef, parentSpanId: string, startMs: number, endMs: number, resource: ResourceInfo): Interaction {
  const it: Interaction = {
    kind: 'interaction',
    requestId: '',
    dialect,
    span: { traceId: span.traceId, spanId: span.spanId },
    params: {},
    usage: {},
    startTimeMs: startMs,
    endTimeMs: endMs,
    finishReasons: [],
    systemInstructions: [],
    inputMessages: [],
    outputMessages: [],
    // A copy: records leave this stage independently and later stages may rewrite them.
    resource: { ...resource },
    extra: {},
  };
  if (parentSpanId !== '') it.parentSpanId = parentSpanId;
  if (endMs >= startMs && startMs > 0) it.latencyMs = endMs - startMs;
  return it;
}

/** The semconv gen_ai.* fields, current names first, then the older ones instrumentations still emit. */
export function readSemconv(attrs: Attributes, it: Interaction): void {
  setIf(it, 'provider', str(attrs, 'gen_ai.provider.name') ?? str(attrs, 'gen_ai.system'));
  setIf(it, 'operation', str(attrs, 'gen_ai.operation.name'));
  setIf(it, 'requestModel', str(attrs, 'gen_ai.request.model'));
  setIf(it, 'responseModel', str(attrs, 'gen_ai.response.model'));
  setIf(it, 'responseId', str(attrs, 'gen_ai.response.id'));
  setIf(it, 'conversationId', str(attrs, 'gen_ai.conversation.id'));
  setIf(it, 'promptName', str(attrs, 'gen_ai.prompt.name'));
  setIf(it, 'promptVersion', str(attrs, 'gen_ai.prompt.version'));
  setIf(it, 'errorType', str(attrs, 'error.type'));

  const p = it.params;
  setIf(p, 'temperature', num(attrs, 'gen_ai.request.temperature'));
  setIf(p, 'topP', num(attrs, 'gen_ai.request.top_p'));
  setIf(p, 'topK', num(attrs, 'gen_ai.request.top_k'));
  setIf(p, 'maxTokens', num(attrs, 'gen_ai.request.max_tokens'));
  setIf(p, 'frequencyPenalty', num(attrs, 'gen_ai.request.frequency_penalty'));
  setIf(p, 'presencePenalty', num(attrs, 'gen_ai.request.presence_penalty'));
  setIf(p, 'seed', num(attrs, 'gen_ai.request.seed') ?? num(attrs, 'gen_ai.openai.request.seed'));
  setIf(p, 'choiceCount', num(attrs, 'gen_ai.request.choice.count'));
  setIf(p, 'outputType', str(attrs, 'gen_ai.output.type') ?? str(attrs, 'gen_ai.openai.request.response_format'));
  const stop = asStringList(attrs.get('gen_ai.request.stop_sequences'));
  if (stop !== undefined) p.stopSequences = stop;

  readUsage(attrs, it.usage);

  const finish = asStringList(attrs.get('gen_ai.response.finish_reasons'));
  if (finish !== undefined) it.finishReasons = finish;

  // Semconv records it in seconds.
  const ttfc = num(attrs, 'gen_ai.response.time_to_first_chunk');
  if (ttfc !== undefined) it.timeToFirstChunkMs = ttfc * 1000;
}

function readUsage(attrs: Attributes, u: Usage): void {
  setIf(u, 'inputTokens', num(attrs, 'gen_ai.usage.input_tokens') ?? num(attrs, 'gen_ai.usage.prompt_tokens'));
  setIf(u, 'outputTokens', num(attrs, 'gen_ai.usage.output_tokens') ?? num(attrs, 'gen_ai.usage.completion_tokens'));
  setIf(u, 'totalTokens', num(attrs, 'gen_ai.usage.total_tokens') ?? num(attrs, 'llm.usage.total_tokens'));
  setIf(
    u,
    'cacheReadInputTokens',
    num(attrs, 'gen_ai.usage.cache_read.input_tokens') ?? num(attrs, 'gen_ai.usage.cache_read_input_tokens'),
  );
  setIf(
    u,
    'cacheCreationInputTokens',
    num(attrs, 'gen_ai.usage.cache_creation.input_tokens') ??
      num(attrs, 'gen_ai.usage.cache_creation_input_tokens') ??
      num(attrs, 'gen_ai.usage.cache_write.input_tokens'),
  );
  setIf(u, 'reasoningTokens', num(attrs, 'gen_ai.usage.reasoning.output_tokens') ?? num(attrs, 'gen_ai.usage.reasoning_tokens'));
}

/** Content read by the dialect; a side the dialect left empty may be filled by a lower-precedence one. */
export function applyContent(it: Interaction, c: Content): void {
  if (it.systemInstructions.length === 0 && c.systemInstructions.length > 0) it.systemInstructions = c.systemInstructions;
  if (it.inputMessages.length === 0 && c.inputMessages.length > 0) it.inputMessages = c.inputMessages;
  if (it.outputMessages.length === 0 && c.outputMessages.length > 0) it.outputMessages = c.outputMessages;
  if (it.responseId === undefined && c.responseId !== undefined) it.responseId = c.responseId;
}

/**
 * The last step for every interaction: finish reasons from the messages when
 * the span had none, the join key, identities and kept attributes.
 */
export function finishInteraction(it: Interaction, attrs: Attributes, ctx: ReadContext): void {
  if (it.finishReasons.length === 0) {
    for (const m of it.outputMessages) if (m.finishReason !== undefined) it.finishReasons.push(m.finishReason);
  }
  it.requestId = requestIdFor(attrs, it.responseId, ctx.cfg) ?? `${it.span.traceId}:${it.span.spanId}`;
  setIf(it, 'userId', firstString(attrs, ctx.cfg.userIdAttributes));
  setIf(it, 'sessionId', firstString(attrs, ctx.cfg.sessionIdAttributes));
  const keep = ctx.cfg.keepAttributes;
  for (let i = 0; i < keep.length; i++) {
    const k = keep[i]!;
    const v = asText(attrs.get(k));
    if (v !== undefined) it.extra[k] = v;
  }
}

/**
 * First present configured attribute. `gen_ai.response.id` stands for the
 * normalized response id, so dialects that carry it under their own name
 * (ai.response.id, an OpenInference response body) join on it too.
 */
export function requestIdFor(attrs: Attributes, responseId: string | undefined, cfg: Resolved): string | undefined {
  const keys = cfg.requestIdAttributes;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = k === 'gen_ai.response.id' ? (str(attrs, k) ?? responseId) : str(attrs, k);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Maps an instrumentation's request type to the semconv operation name where one fits. */
export function operationFromType(t: string): string {
  switch (t) {
    case 'chat':
      return 'chat';
    case 'completion':
      return 'text_completion';
    case 'embedding':
    case 'embeddings':
      return 'embeddings';
    default:
      return t;
  }
}

/** A span dialect: the content it carries, and the fields it names its own way. */
export interface SpanDialect {
  readonly dialect: Dialect;
  /** Overlays fields beyond the semconv base (after readSemconv). */
  fields(span: SpanLike, it: Interaction, ctx: ReadContext): void;
  /** The messages it carries on the span. */
  content(span: SpanLike, ctx: ReadContext): Content;
}

/** What dialect readers need of a span (a Span, or a log record seen as one). */
export interface SpanLike {
  attributes: Attributes;
  events: readonly { timeMs: number; name: string; attributes: Attributes }[];
  startTimeMs: number;
}
