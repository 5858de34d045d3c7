import { deserialize } from 'node:v8';
import type { ContentFragment, FeedbackSignal, Interaction, LabeledRecord } from '../../src/model';

let n = 0;
const T0 = Date.UTC(2026, 0, 1);

export function interaction(over: Partial<Interaction> = {}): Interaction {
  n++;
  return {
    kind: 'interaction',
    requestId: over.requestId ?? `chatcmpl-${n}`,
    dialect: 'otel_genai_current',
    span: { traceId: 'a'.repeat(31) + (n % 10), spanId: n.toString(16).padStart(16, '0') },
    provider: 'openai',
    operation: 'chat',
    requestModel: 'gpt-4o-mini',
    responseModel: 'gpt-4o-mini-2024-07-18',
    params: {},
    usage: { inputTokens: 12, outputTokens: 34 },
    startTimeMs: T0,
    endTimeMs: T0 + 800,
    finishReasons: ['stop'],
    systemInstructions: [],
    inputMessages: [{ role: 'user', parts: [{ type: 'text', content: 'How do I reset my password?' }] }],
    outputMessages: [{ role: 'assistant', parts: [{ type: 'text', content: 'Open settings and choose reset.' }], finishReason: 'stop' }],
    resource: { serviceName: 'support-bot' },
    extra: {},
    ...over,
  };
}

export function feedback(over: Partial<FeedbackSignal> = {}): FeedbackSignal {
  n++;
  return {
    kind: 'feedback',
    signalId: over.signalId ?? `sig-${n}`,
    target: {},
    feedbackKind: 'thumbs',
    value: 0,
    source: 'user',
    observedTimeMs: T0 + 60_000,
    ...over,
  };
}

export function content(over: Partial<ContentFragment> & Pick<ContentFragment, 'span'>): ContentFragment {
  n++;
  return {
    kind: 'content',
    timeMs: T0 + 10,
    dialect: 'otel_genai_1_36',
    systemInstructions: [],
    inputMessages: [],
    outputMessages: [],
    sequence: n,
    ...over,
  };
}

export const noRedaction = { policyVersion: 'test', entities: {}, keysRedacted: 0 };

/** The records in outbox entries whose payloads are v8-serialized LabeledRecords (the join tests' decide). */
export function records(entries: Array<{ payload: Buffer }>): LabeledRecord[] {
  return entries.map((e) => deserialize(e.payload) as LabeledRecord);
}
