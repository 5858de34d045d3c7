import type { ContentFragment, Message } from '../../../model';
import type { AnyValue, LogRecord } from '../../../otlp/types';
import { emptyContent, type SpanDialect } from '../common';
import { parseMessage } from '../messages';
import { asNonEmptyString, field, structured } from '../values';

// OTel GenAI semconv ≤1.36, as @opentelemetry/instrumentation-openai emits it:
// the span carries gen_ai.system, model, usage and finish reasons; message
// content arrives as separate log records carrying the span's trace/span ids,
// named by LogRecord.event_name or the `event.name` attribute:
//   gen_ai.system.message    { content }
//   gen_ai.user.message      { content }
//   gen_ai.assistant.message { content, tool_calls: [{ id, type, function: { name, arguments } }] }
//   gen_ai.tool.message      { id, content }             (id = the tool call answered)
//   gen_ai.choice            { index, finish_reason, message: { role?, content, tool_calls } }
// Bodies are kvlists; some SDKs send a JSON string, which is accepted too.

export const otel136: SpanDialect = {
  dialect: 'otel_genai_1_36',
  fields() {
    // All of its span attributes are semconv ones, read by readSemconv.
  },
  content() {
    // Content comes in log records (see contentFromLog), merged by the join.
    return emptyContent();
  },
};

const ROLE_BY_EVENT: Record<string, string> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
};

export function isContentEventName(name: string): boolean {
  return name === 'gen_ai.choice' || Object.prototype.hasOwnProperty.call(ROLE_BY_EVENT, name);
}

/**
 * Adds one content record to its span's fragment. Prompt messages go to
 * inputMessages (system messages stay there, in order, as they were part of
 * the chat history sent), choices to outputMessages.
 */
export function addContentRecord(fragment: ContentFragment, name: string, rec: LogRecord, onMalformed: () => void): void {
  const body = bodyValue(rec.body, onMalformed);
  if (name === 'gen_ai.choice') {
    // Without content capture the message is empty or absent: the choice still counts.
    const msg: Message = parseMessage(field(body, 'message'), 'assistant') ?? { role: 'assistant', parts: [] };
    const finish = asNonEmptyString(field(body, 'finish_reason'));
    if (finish !== undefined) msg.finishReason = finish;
    fragment.outputMessages.push(msg);
    return;
  }
  const role = asNonEmptyString(field(body, 'role')) ?? ROLE_BY_EVENT[name] ?? 'user';
  fragment.inputMessages.push(parseMessage(body, role) ?? { role, parts: [] });
}

function bodyValue(body: AnyValue, onMalformed: () => void): unknown {
  const r = structured(body);
  if (r.malformed) onMalformed();
  return r.value;
}
