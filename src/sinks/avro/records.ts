// The shapes of the Avro records in schemas/*.avsc as avsc reads and writes
// them: snake_case fields, `null` (never undefined) for absent optional
// fields, timestamps as Unix milliseconds, bytes as Buffer. Type aliases (not
// interfaces) so they are assignable to OutboxEntry.value.

export type AvroMessagePart = {
  type: string;
  content: string | null;
  id: string | null;
  name: string | null;
  arguments: string | null;
  response: string | null;
  original_type: string | null;
};

export type AvroMessage = {
  role: string;
  parts: AvroMessagePart[];
  name: string | null;
  finish_reason: string | null;
};

export type AvroFeedbackSignal = {
  signal_id: string;
  feedback_kind: string;
  target_request_id: string | null;
  target_trace_id: string | null;
  target_span_id: string | null;
  value: number | null;
  label: string | null;
  reason: string | null;
  text: string | null;
  name: string | null;
  source: string;
  actor: string | null;
  observed_time: number;
};

export type AvroLabel = {
  dimension: string;
  value: boolean | null;
  score: number | null;
  source: string;
  confidence: number;
  criterion: string;
  derived_from: string[];
};

export type AvroRequestParams = {
  temperature: number | null;
  top_p: number | null;
  top_k: number | null;
  max_tokens: number | null;
  frequency_penalty: number | null;
  presence_penalty: number | null;
  seed: number | null;
  stop_sequences: string[];
  choice_count: number | null;
  output_type: string | null;
};

export type AvroUsage = {
  input_tokens: number | null;
  output_tokens: number | null;
  total_tokens: number | null;
  cache_read_input_tokens: number | null;
  cache_creation_input_tokens: number | null;
  reasoning_tokens: number | null;
};

export type AvroResourceInfo = {
  service_name: string | null;
  service_version: string | null;
  environment: string | null;
};

export type AvroInteraction = {
  request_id: string;
  dialect: string;
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  provider: string | null;
  operation: string | null;
  request_model: string | null;
  response_model: string | null;
  response_id: string | null;
  conversation_id: string | null;
  user_id: string | null;
  session_id: string | null;
  prompt_name: string | null;
  prompt_version: string | null;
  params: AvroRequestParams;
  usage: AvroUsage;
  start_time: number;
  end_time: number;
  latency_ms: number | null;
  time_to_first_chunk_ms: number | null;
  finish_reasons: string[];
  system_instructions: AvroMessagePart[];
  input_messages: AvroMessage[];
  output_messages: AvroMessage[];
  resource: AvroResourceInfo;
  error_type: string | null;
  extra: Record<string, string>;
};

export type AvroRedactionSummary = {
  policy_version: string;
  entities: Record<string, number>;
  keys_redacted: number;
};

export type AvroSamplingDecision = {
  probability: number;
  policy: string;
  routes: string[];
};

export type AvroLabeledInteraction = {
  record_id: string;
  request_id: string;
  version: number;
  final: boolean;
  close_reason: string;
  interaction: AvroInteraction | null;
  feedback: AvroFeedbackSignal[];
  labels: AvroLabel[];
  quality_score: number | null;
  redaction: AvroRedactionSummary;
  sampling: AvroSamplingDecision | null;
  first_seen_time: number;
  emitted_time: number;
  orphan_reason: string | null;
};

export type AvroLineage = {
  dialect: string;
  provider: string | null;
  request_model: string | null;
  response_model: string | null;
  prompt_name: string | null;
  prompt_version: string | null;
  service_name: string | null;
  service_version: string | null;
};

export type AvroAnnotationQuestion = {
  dimension: string;
  question: string;
  answer_type: string;
};

export type AvroAnnotationTask = {
  task_id: string;
  request_id: string;
  record_id: string;
  priority: number;
  priority_reason: string;
  system_instructions: AvroMessagePart[];
  input_messages: AvroMessage[];
  output_messages: AvroMessage[];
  feedback: AvroFeedbackSignal[];
  labels: AvroLabel[];
  questions: AvroAnnotationQuestion[];
  inclusion_probability: number;
  lineage: AvroLineage;
  created_time: number;
};

export type AvroTrainingExample = {
  example_id: string;
  kind: string;
  split: string;
  request_id: string;
  record_id: string;
  system_instructions: AvroMessagePart[];
  prompt: AvroMessage[];
  chosen: AvroMessage[];
  rejected: AvroMessage[] | null;
  labels: AvroLabel[];
  quality_score: number | null;
  source: string;
  source_signal_ids: string[];
  inclusion_probability: number;
  lineage: AvroLineage;
  created_time: number;
};

export type AvroDeadLetter = {
  reason: string;
  detail: string;
  component: string;
  received_time: number;
  content_type: string | null;
  payload: Buffer | null;
  payload_sha256: string | null;
};
