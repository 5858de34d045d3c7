// The record fields that attribute, numeric and stratify can read, resolved
// to accessor functions once at plan time so evaluation does no name lookup.

import type { LabeledRecord } from '../../../model/record';

/** String fields; `extra.<key>` reads interaction.extra[key]. */
export const STRING_FIELDS = [
  'model', // response model, else request model
  'request_model',
  'response_model',
  'provider',
  'operation',
  'dialect',
  'prompt_name',
  'prompt_version',
  'conversation_id',
  'user_id',
  'session_id',
  'service_name',
  'service_version',
  'environment',
  'error_type',
  'finish_reason', // matches if any finish reason matches
  'output_type',
  'close_reason',
] as const;
export type StringField = (typeof STRING_FIELDS)[number];

export const NUMERIC_FIELDS = [
  'latency_ms',
  'time_to_first_chunk_ms',
  'input_tokens',
  'output_tokens',
  'total_tokens', // usage total, else input + output
  'quality_score',
  'feedback_count',
  'label_count',
] as const;
export type NumericField = (typeof NUMERIC_FIELDS)[number];

const EXTRA = 'extra.';
const STRING_SET: ReadonlySet<string> = new Set(STRING_FIELDS);

export function isStringField(name: string): boolean {
  return STRING_SET.has(name) || (name.startsWith(EXTRA) && name.length > EXTRA.length);
}

const NONE: readonly string[] = [];
const one = (v: string | undefined): readonly string[] => (v === undefined || v === '' ? NONE : [v]);

/** Values of a string field (none when absent); multi-valued only for finish_reason. */
export type StringAccessor = (r: LabeledRecord) => readonly string[];

export function stringAccessor(name: string): StringAccessor {
  if (name.startsWith(EXTRA)) {
    const key = name.slice(EXTRA.length);
    return (r) => one(r.interaction?.extra?.[key]);
  }
  switch (name as StringField) {
    case 'model':
      return (r) => one(r.interaction?.responseModel ?? r.interaction?.requestModel);
    case 'request_model':
      return (r) => one(r.interaction?.requestModel);
    case 'response_model':
      return (r) => one(r.interaction?.responseModel);
    case 'provider':
      return (r) => one(r.interaction?.provider);
    case 'operation':
      return (r) => one(r.interaction?.operation);
    case 'dialect':
      return (r) => one(r.interaction?.dialect);
    case 'prompt_name':
      return (r) => one(r.interaction?.promptName);
    case 'prompt_version':
      return (r) => one(r.interaction?.promptVersion);
    case 'conversation_id':
      return (r) => one(r.interaction?.conversationId);
    case 'user_id':
      return (r) => one(r.interaction?.userId);
    case 'session_id':
      return (r) => one(r.interaction?.sessionId);
    case 'service_name':
      return (r) => one(r.interaction?.resource?.serviceName);
    case 'service_version':
      return (r) => one(r.interaction?.resource?.serviceVersion);
    case 'environment':
      return (r) => one(r.interaction?.resource?.environment);
    case 'error_type':
      return (r) => one(r.interaction?.errorType);
    case 'finish_reason':
      return (r) => r.interaction?.finishReasons ?? NONE;
    case 'output_type':
      return (r) => one(r.interaction?.params?.outputType);
    case 'close_reason':
      return (r) => one(r.closeReason);
    default:
      throw new Error(`unknown string field "${name}"`);
  }
}

const finite = (v: number | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A numeric field's value, or undefined when the record does not have it. */
export type NumericAccessor = (r: LabeledRecord) => number | undefined;

export function numericAccessor(name: NumericField): NumericAccessor {
  switch (name) {
    case 'latency_ms':
      return (r) => {
        const i = r.interaction;
        if (!i) return undefined;
        return finite(i.latencyMs) ?? finite(i.endTimeMs - i.startTimeMs);
      };
    case 'time_to_first_chunk_ms':
      return (r) => finite(r.interaction?.timeToFirstChunkMs);
    case 'input_tokens':
      return (r) => finite(r.interaction?.usage?.inputTokens);
    case 'output_tokens':
      return (r) => finite(r.interaction?.usage?.outputTokens);
    case 'total_tokens':
      return (r) => {
        const u = r.interaction?.usage;
        if (!u) return undefined;
        const total = finite(u.totalTokens);
        if (total !== undefined) return total;
        const a = finite(u.inputTokens);
        const b = finite(u.outputTokens);
        return a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
      };
    case 'quality_score':
      return (r) => finite(r.qualityScore);
    case 'feedback_count':
      return (r) => r.feedback.length;
    case 'label_count':
      return (r) => r.labels.length;
  }
}
