// Model (camelCase, optional = undefined) → Avro record (snake_case, optional
// = null). Every function returns a value that validates against its topic's
// schema, or throws a PermanentError naming the field (never its value) so the
// caller can dead-letter the record instead of writing a file no one can read.
//
// Numbers are made to fit their Avro type rather than refused where the loss
// is meaningless: a fractional token count or timestamp is truncated, a
// non-finite optional number becomes null. A required number that is not
// finite is a bug upstream and is refused.

import type { Interaction, Message, MessagePart, RequestParams, Usage } from '../../model/interaction';
import type { FeedbackSignal } from '../../model/feedback';
import type { DeadLetter, Label, LabeledRecord, RedactionSummary, SamplingDecision } from '../../model/record';
import type { AnnotationTask, Lineage, TrainingExample } from '../../model/outputs';
import { ERROR_CODES, PermanentError } from '../../pipeline/errors';
import type {
  AvroAnnotationTask,
  AvroDeadLetter,
  AvroFeedbackSignal,
  AvroInteraction,
  AvroLabel,
  AvroLabeledInteraction,
  AvroLineage,
  AvroMessage,
  AvroMessagePart,
  AvroRedactionSummary,
  AvroRequestParams,
  AvroSamplingDecision,
  AvroTrainingExample,
  AvroUsage,
} from './records';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function refuse(field: string, what: string): never {
  throw new PermanentError(ERROR_CODES.SCHEMA_INCOMPATIBLE, `${field} ${what}`);
}

function optString(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function optDouble(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function optLong(v: unknown): number | null {
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  const n = Math.trunc(v);
  return Number.isSafeInteger(n) ? n : null;
}

function reqDouble(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) refuse(field, 'must be a finite number');
  return v;
}

function reqLong(v: unknown, field: string): number {
  const n = optLong(v);
  if (n === null) refuse(field, 'must be a finite number within ±2^53');
  return n;
}

function reqInt(v: unknown, field: string): number {
  const n = optLong(v);
  if (n === null || n < INT32_MIN || n > INT32_MAX) refuse(field, 'must be a 32-bit integer');
  return n;
}

function reqString(v: unknown, field: string): string {
  if (typeof v !== 'string') refuse(field, 'must be a string');
  return v;
}

function strings(v: readonly unknown[] | undefined): string[] {
  return (v ?? []).filter((s): s is string => typeof s === 'string');
}

function stringMap(v: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v ?? {})) if (typeof val === 'string') out[k] = val;
  return out;
}

export function messagePartToAvro(p: MessagePart): AvroMessagePart {
  const part: AvroMessagePart = {
    type: p.type,
    content: null,
    id: null,
    name: null,
    arguments: null,
    response: null,
    original_type: null,
  };
  switch (p.type) {
    case 'text':
    case 'reasoning':
      part.content = optString(p.content);
      break;
    case 'tool_call':
      part.id = optString(p.id);
      part.name = optString(p.name);
      part.arguments = optString(p.arguments);
      break;
    case 'tool_call_response':
      part.id = optString(p.id);
      part.response = optString(p.response);
      break;
    case 'other':
      part.content = optString(p.content);
      part.original_type = optString(p.originalType);
      break;
  }
  return part;
}

export function messageToAvro(m: Message): AvroMessage {
  return {
    role: reqString(m.role, 'message.role'),
    parts: (m.parts ?? []).map(messagePartToAvro),
    name: optString(m.name),
    finish_reason: optString(m.finishReason),
  };
}

export function feedbackToAvro(f: FeedbackSignal): AvroFeedbackSignal {
  return {
    signal_id: reqString(f.signalId, 'feedback.signal_id'),
    feedback_kind: reqString(f.feedbackKind, 'feedback.feedback_kind'),
    target_request_id: optString(f.target?.requestId),
    target_trace_id: optString(f.target?.span?.traceId),
    target_span_id: optString(f.target?.span?.spanId),
    value: optDouble(f.value),
    label: optString(f.label),
    reason: optString(f.reason),
    text: optString(f.text),
    name: optString(f.name),
    source: reqString(f.source, 'feedback.source'),
    actor: optString(f.actor),
    observed_time: reqLong(f.observedTimeMs, 'feedback.observed_time'),
  };
}

export function labelToAvro(l: Label): AvroLabel {
  return {
    dimension: reqString(l.dimension, 'label.dimension'),
    value: typeof l.value === 'boolean' ? l.value : null,
    score: optDouble(l.score),
    source: reqString(l.source, 'label.source'),
    confidence: reqDouble(l.confidence, 'label.confidence'),
    criterion: reqString(l.criterion, 'label.criterion'),
    derived_from: strings(l.derivedFrom),
  };
}

function paramsToAvro(p: RequestParams | undefined): AvroRequestParams {
  return {
    temperature: optDouble(p?.temperature),
    top_p: optDouble(p?.topP),
    top_k: optDouble(p?.topK),
    max_tokens: optLong(p?.maxTokens),
    frequency_penalty: optDouble(p?.frequencyPenalty),
    presence_penalty: optDouble(p?.presencePenalty),
    seed: optLong(p?.seed),
    stop_sequences: strings(p?.stopSequences),
    choice_count: optLong(p?.choiceCount),
    output_type: optString(p?.outputType),
  };
}

function usageToAvro(u: Usage | undefined): AvroUsage {
  return {
    input_tokens: optLong(u?.inputTokens),
    output_tokens: optLong(u?.outputTokens),
    total_tokens: optLong(u?.totalTokens),
    cache_read_input_tokens: optLong(u?.cacheReadInputTokens),
    cache_creation_input_tokens: optLong(u?.cacheCreationInputTokens),
    reasoning_tokens: optLong(u?.reasoningTokens),
  };
}

export function interactionToAvro(i: Interaction): AvroInteraction {
  return {
    request_id: reqString(i.requestId, 'interaction.request_id'),
    dialect: reqString(i.dialect, 'interaction.dialect'),
    trace_id: reqString(i.span?.traceId, 'interaction.trace_id'),
    span_id: reqString(i.span?.spanId, 'interaction.span_id'),
    parent_span_id: optString(i.parentSpanId),
    provider: optString(i.provider),
    operation: optString(i.operation),
    request_model: optString(i.requestModel),
    response_model: optString(i.responseModel),
    response_id: optString(i.responseId),
    conversation_id: optString(i.conversationId),
    user_id: optString(i.userId),
    session_id: optString(i.sessionId),
    prompt_name: optString(i.promptName),
    prompt_version: optString(i.promptVersion),
    params: paramsToAvro(i.params),
    usage: usageToAvro(i.usage),
    start_time: reqLong(i.startTimeMs, 'interaction.start_time'),
    end_time: reqLong(i.endTimeMs, 'interaction.end_time'),
    latency_ms: optDouble(i.latencyMs),
    time_to_first_chunk_ms: optDouble(i.timeToFirstChunkMs),
    finish_reasons: strings(i.finishReasons),
    system_instructions: (i.systemInstructions ?? []).map(messagePartToAvro),
    input_messages: (i.inputMessages ?? []).map(messageToAvro),
    output_messages: (i.outputMessages ?? []).map(messageToAvro),
    resource: {
      service_name: optString(i.resource?.serviceName),
      service_version: optString(i.resource?.serviceVersion),
      environment: optString(i.resource?.environment),
    },
    error_type: optString(i.errorType),
    extra: stringMap(i.extra),
  };
}

function redactionToAvro(r: RedactionSummary): AvroRedactionSummary {
  const entities: Record<string, number> = {};
  for (const [k, n] of Object.entries(r?.entities ?? {})) {
    const count = optLong(n);
    if (count !== null) entities[k] = count;
  }
  return {
    policy_version: reqString(r?.policyVersion, 'redaction.policy_version'),
    entities,
    keys_redacted: optLong(r?.keysRedacted) ?? 0,
  };
}

function samplingToAvro(s: SamplingDecision | undefined): AvroSamplingDecision | null {
  if (!s) return null;
  return {
    probability: reqDouble(s.probability, 'sampling.probability'),
    policy: reqString(s.policy, 'sampling.policy'),
    routes: strings(s.routes),
  };
}

/** For labeled_interactions and orphaned_feedback. */
export function labeledRecordToAvro(r: LabeledRecord): AvroLabeledInteraction {
  return {
    record_id: reqString(r.recordId, 'record_id'),
    request_id: reqString(r.requestId, 'request_id'),
    version: reqInt(r.version, 'version'),
    final: r.final === true,
    close_reason: reqString(r.closeReason, 'close_reason'),
    interaction: r.interaction ? interactionToAvro(r.interaction) : null,
    feedback: (r.feedback ?? []).map(feedbackToAvro),
    labels: (r.labels ?? []).map(labelToAvro),
    quality_score: optDouble(r.qualityScore),
    redaction: redactionToAvro(r.redaction),
    sampling: samplingToAvro(r.sampling),
    first_seen_time: reqLong(r.firstSeenMs, 'first_seen_time'),
    emitted_time: reqLong(r.emittedMs, 'emitted_time'),
    orphan_reason: optString(r.orphanReason),
  };
}

function lineageToAvro(l: Lineage): AvroLineage {
  return {
    dialect: reqString(l?.dialect, 'lineage.dialect'),
    provider: optString(l?.provider),
    request_model: optString(l?.requestModel),
    response_model: optString(l?.responseModel),
    prompt_name: optString(l?.promptName),
    prompt_version: optString(l?.promptVersion),
    service_name: optString(l?.serviceName),
    service_version: optString(l?.serviceVersion),
  };
}

export function annotationTaskToAvro(t: AnnotationTask): AvroAnnotationTask {
  return {
    task_id: reqString(t.taskId, 'task_id'),
    request_id: reqString(t.requestId, 'request_id'),
    record_id: reqString(t.recordId, 'record_id'),
    priority: reqInt(t.priority, 'priority'),
    priority_reason: reqString(t.priorityReason, 'priority_reason'),
    system_instructions: (t.systemInstructions ?? []).map(messagePartToAvro),
    input_messages: (t.inputMessages ?? []).map(messageToAvro),
    output_messages: (t.outputMessages ?? []).map(messageToAvro),
    feedback: (t.feedback ?? []).map(feedbackToAvro),
    labels: (t.labels ?? []).map(labelToAvro),
    questions: (t.questions ?? []).map((q) => ({
      dimension: reqString(q.dimension, 'questions.dimension'),
      question: reqString(q.question, 'questions.question'),
      answer_type: reqString(q.answerType, 'questions.answer_type'),
    })),
    inclusion_probability: reqDouble(t.inclusionProbability, 'inclusion_probability'),
    lineage: lineageToAvro(t.lineage),
    created_time: reqLong(t.createdMs, 'created_time'),
  };
}

export function trainingExampleToAvro(t: TrainingExample): AvroTrainingExample {
  return {
    example_id: reqString(t.exampleId, 'example_id'),
    kind: reqString(t.kind, 'kind'),
    split: reqString(t.split, 'split'),
    request_id: reqString(t.requestId, 'request_id'),
    record_id: reqString(t.recordId, 'record_id'),
    system_instructions: (t.systemInstructions ?? []).map(messagePartToAvro),
    prompt: (t.prompt ?? []).map(messageToAvro),
    chosen: (t.chosen ?? []).map(messageToAvro),
    rejected: t.rejected ? t.rejected.map(messageToAvro) : null,
    labels: (t.labels ?? []).map(labelToAvro),
    quality_score: optDouble(t.qualityScore),
    source: reqString(t.source, 'source'),
    source_signal_ids: strings(t.sourceSignalIds),
    inclusion_probability: reqDouble(t.inclusionProbability, 'inclusion_probability'),
    lineage: lineageToAvro(t.lineage),
    created_time: reqLong(t.createdMs, 'created_time'),
  };
}

export function deadLetterToAvro(d: DeadLetter): AvroDeadLetter {
  return {
    reason: reqString(d.reason, 'reason'),
    detail: reqString(d.detail, 'detail'),
    component: reqString(d.component, 'component'),
    received_time: reqLong(d.receivedMs, 'received_time'),
    content_type: optString(d.contentType),
    // avsc's bytes type wants a Buffer; this views the same memory, no copy.
    payload: d.payload ? Buffer.from(d.payload.buffer, d.payload.byteOffset, d.payload.byteLength) : null,
    payload_sha256: optString(d.payloadSha256),
  };
}
