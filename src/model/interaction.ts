// The one model every GenAI dialect is normalized into. Field names follow the
// OTel GenAI semantic conventions where one exists; the Avro schema
// (schemas/labeled_interaction.avsc) mirrors these types.

/** Which instrumentation convention an interaction was read from. */
export type Dialect =
  | 'otel_genai_current' // gen_ai.provider.name, gen_ai.input/output.messages
  | 'otel_genai_1_36' // gen_ai.system + gen_ai.*.message / gen_ai.choice log events
  | 'otel_genai_event' // gen_ai.client.inference.operation.details log event
  | 'legacy_prompt_completion' // gen_ai.prompt / gen_ai.completion attributes or events
  | 'openllmetry' // gen_ai.prompt.{i}.content, llm.usage.*
  | 'vercel_ai_sdk' // ai.* attributes
  | 'openinference' // llm.*, input.value / output.value
  | 'unknown';

export const DIALECTS: readonly Dialect[] = [
  'otel_genai_current',
  'otel_genai_1_36',
  'otel_genai_event',
  'legacy_prompt_completion',
  'openllmetry',
  'vercel_ai_sdk',
  'openinference',
  'unknown',
];

/** A message part, as in the semconv JSON schema for gen_ai.*.messages. */
export type MessagePart =
  | { type: 'text'; content: string }
  | { type: 'reasoning'; content: string }
  | { type: 'tool_call'; id: string; name: string; arguments: string }
  | { type: 'tool_call_response'; id: string; response: string }
  /** Anything else (uri, blob, file…): its type and a textual form if one exists. */
  | { type: 'other'; originalType: string; content: string };

export interface Message {
  role: string; // system | user | assistant | tool | …
  parts: MessagePart[];
  name?: string;
  /** Output messages only. */
  finishReason?: string;
}

export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheCreationInputTokens?: number;
  reasoningTokens?: number;
}

/** Request parameters (gen_ai.request.*), numeric or string valued. */
export interface RequestParams {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  seed?: number;
  stopSequences?: string[];
  choiceCount?: number;
  /** gen_ai.output.type: text | json | image | speech */
  outputType?: string;
}

export interface ResourceInfo {
  serviceName?: string;
  serviceVersion?: string;
  environment?: string;
}

export interface SpanRef {
  traceId: string;
  spanId: string;
}

/** One model call. */
export interface Interaction {
  kind: 'interaction';
  /** The join key: first present configured attribute, else the span context. */
  requestId: string;
  dialect: Dialect;
  span: SpanRef;
  parentSpanId?: string;
  provider?: string;
  operation?: string;
  requestModel?: string;
  responseModel?: string;
  responseId?: string;
  conversationId?: string;
  /** Pseudonymized by the redact stage before anything is stored. */
  userId?: string;
  sessionId?: string;
  promptName?: string;
  promptVersion?: string;
  params: RequestParams;
  usage: Usage;
  startTimeMs: number;
  endTimeMs: number;
  latencyMs?: number;
  timeToFirstChunkMs?: number;
  finishReasons: string[];
  systemInstructions: MessagePart[];
  inputMessages: Message[];
  outputMessages: Message[];
  resource: ResourceInfo;
  errorType?: string;
  /** Span attributes worth keeping that the model has no field for (strings only, redacted). */
  extra: Record<string, string>;
}

/**
 * Message content that arrives apart from its span: semconv ≤1.36 content log
 * records (gen_ai.user.message, gen_ai.choice…). It points at its span
 * context and is merged into that span's Interaction by the join.
 */
export interface ContentFragment {
  kind: 'content';
  span: SpanRef;
  timeMs: number;
  dialect: Dialect;
  systemInstructions: MessagePart[];
  inputMessages: Message[];
  outputMessages: Message[];
  /** Position of the content event within its batch, so merges keep order. */
  sequence: number;
}
