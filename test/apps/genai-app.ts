// A realistic instrumented GenAI application: a customer-support assistant
// that talks to an OpenAI-compatible endpoint through the official `openai`
// client, instrumented by @opentelemetry/instrumentation-openai under
// @opentelemetry/sdk-node, exporting OTLP/HTTP to the feedback-loop service.
// Users give feedback in the project's `feedback.*` span convention and an
// automated judge emits `gen_ai.evaluation.result` log events. The returned
// summary says exactly what was produced, so end-to-end tests can compare it
// with what the service wrote downstream.
//
// Used by `npm run demo` and by end-to-end tests. It can also run on its own:
//   node dist/test/apps/genai-app.js [--otlp-endpoint URL] [--conversations N] …
// (without --base-url it starts its own fake model server).

import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { context, propagation, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Context, SpanContext, Tracer } from '@opentelemetry/api';
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import type { Logger } from '@opentelemetry/api-logs';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as OTLPJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler } from '@opentelemetry/sdk-trace';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
// Type-only: erased at compile time, so importing it does not load `openai`
// before the instrumentation is enabled (see loadOpenAI below).
import type OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionMessageToolCall } from 'openai/resources/chat/completions';
import { start as startFakeModelServer } from './fake-model-server';
import { CUSTOMERS, SCENARIOS, SYSTEM_PROMPT, TOOLS, runTool, seededRandom } from './scenarios';
import type { Customer, Scenario, TurnScript } from './scenarios';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface GenAiAppOptions {
  /** OpenAI-compatible base URL, e.g. the fake model server's `baseURL` (…/v1). */
  baseURL: string;
  /** The feedback-loop service (or a collector). Default http://127.0.0.1:4318. */
  otlpEndpoint?: string;
  /** OTLP/HTTP encoding. Default http/protobuf, the SDK's own default. */
  protocol?: OtlpProtocol;
  /** Conversations to run (each has 1–2 user turns, some with tool calls). Default 10. */
  conversations?: number;
  /** Share of conversations whose user leaves feedback, 0–1. Default 0.5. */
  feedbackShare?: number;
  /** Share of conversations an automated judge evaluates, 0–1. Default 0.3. */
  evaluationShare?: number;
  /** Feedback spans pointing at response ids that never existed (orphans). Default 0. */
  orphanFeedback?: number;
  /** Drives every random choice (scenario mix, feedback kinds, values). Default "support-assistant". */
  seed?: string;
  serviceName?: string;
  serviceVersion?: string;
  /** deployment.environment.name resource attribute. Default "test". */
  environment?: string;
  /** Per export request. Default 10 s. */
  exportTimeoutMillis?: number;
  /** Progress lines for humans (the demo prints them). */
  onProgress?: (line: string) => void;
}

export type FeedbackKind = 'thumbs' | 'rating' | 'correction' | 'edit' | 'accept';

/** One model call, as the app saw it. */
export interface AppInteraction {
  /** The completion id: gen_ai.response.id, the join key downstream. */
  responseId: string;
  conversation: number;
  turn: number;
  /** 0 for the first model call of a turn, 1 for the answer after a tool call. */
  step: number;
  scenario: string;
  requestModel: string;
  responseModel: string;
  userId: string;
  sessionId: string;
  stream: boolean;
  finishReason: string;
  toolCall: boolean;
  inputTokens: number;
  outputTokens: number;
  /** Context of the `chat <model>` span (empty if it was not seen ending). */
  traceId: string;
  spanId: string;
  /** The user message of this turn, unredacted, as sent. */
  userMessage: string;
  /** The assistant's text (empty for a pure tool call). */
  output: string;
}

export interface AppFeedback {
  requestId: string;
  kind: FeedbackKind;
  value?: number;
  reason?: string;
  text?: string;
  userId: string;
  /** True when requestId was invented and no interaction has it. */
  orphan: boolean;
  /** Context of the `feedback` span itself. */
  traceId: string;
  spanId: string;
}

export interface AppEvaluation {
  requestId: string;
  name: string;
  scoreValue: number;
  scoreLabel: string;
  explanation: string;
}

export interface ExportStats {
  /** Items in successful export requests. */
  exported: number;
  /** Items in failed export requests. */
  failed: number;
  requests: number;
  lastError?: string;
}

export interface GenAiAppSummary {
  seed: string;
  serviceName: string;
  otlpEndpoint: string;
  protocol: OtlpProtocol;
  interactions: AppInteraction[];
  feedback: AppFeedback[];
  evaluations: AppEvaluation[];
  counts: {
    conversations: number;
    turns: number;
    interactions: number;
    toolCalls: number;
    streamed: number;
    truncated: number;
    feedback: number;
    evaluations: number;
    orphanFeedback: number;
    /** Distinct response ids with at least one (non-orphan) feedback signal. */
    interactionsWithFeedback: number;
  };
  export: { spans: ExportStats; logs: ExportStats };
}

const DEFAULT_ENDPOINT = 'http://127.0.0.1:4318';
const INSTRUMENTATION_SCOPE = 'support-assistant';

export async function runGenAiApp(options: GenAiAppOptions): Promise<GenAiAppSummary> {
  const endpoint = (options.otlpEndpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const protocol = options.protocol ?? 'http/protobuf';
  const seed = options.seed ?? 'support-assistant';
  const serviceName = options.serviceName ?? 'support-assistant';
  const progress = options.onProgress ?? ((): void => undefined);
  const exportTimeoutMillis = options.exportTimeoutMillis ?? 10_000;

  assertNoGlobalTracerProvider();

  const spanStats: ExportStats = { exported: 0, failed: 0, requests: 0 };
  const logStats: ExportStats = { exported: 0, failed: 0, requests: 0 };
  const traceExporter = new CountingSpanExporter(
    protocol === 'http/json'
      ? new OTLPJsonTraceExporter({ url: `${endpoint}/v1/traces`, timeoutMillis: exportTimeoutMillis })
      : new OTLPProtoTraceExporter({ url: `${endpoint}/v1/traces`, timeoutMillis: exportTimeoutMillis }),
    spanStats,
  );
  const logExporter = new CountingLogExporter(
    protocol === 'http/json'
      ? new OTLPJsonLogExporter({ url: `${endpoint}/v1/logs`, timeoutMillis: exportTimeoutMillis })
      : new OTLPProtoLogExporter({ url: `${endpoint}/v1/logs`, timeoutMillis: exportTimeoutMillis }),
    logStats,
  );
  // Short delays: the service should see data while the app runs, as it would in production.
  const spanProcessor = new BatchSpanProcessor({ exporter: traceExporter, scheduledDelayMillis: 500, exportTimeoutMillis });
  // sdk-logs 0.2xx takes an options object ({ exporter }), not the exporter itself as older versions did.
  const logProcessor = new BatchLogRecordProcessor({ exporter: logExporter, scheduledDelayMillis: 500, exportTimeoutMillis });
  const chatSpans = new ChatSpanRecorder();
  const instrumentation = openAIInstrumentation();

  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      'service.name': serviceName,
      'service.version': options.serviceVersion ?? '1.4.2',
      'service.namespace': 'northwind',
      'deployment.environment.name': options.environment ?? 'test',
    }),
    // Host and process detectors add nothing the tests need and make runs differ by machine.
    autoDetectResources: false,
    spanProcessors: [chatSpans, spanProcessor],
    logRecordProcessors: [logProcessor],
    instrumentations: [instrumentation],
    // Without this NodeSDK builds a metrics exporter from the environment that
    // posts to /v1/metrics (which the service does not serve) and holds
    // shutdown until its export times out.
    metricReaders: [],
    // Explicit, so an OTEL_TRACES_SAMPLER in the caller's environment cannot drop spans tests count on.
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
  });
  sdk.start();
  // registerInstrumentations only enables instrumentations whose config says
  // disabled; ours was disabled by a previous run's cleanup, so enable it here.
  instrumentation.enable();

  const summary: GenAiAppSummary = {
    seed,
    serviceName,
    otlpEndpoint: endpoint,
    protocol,
    interactions: [],
    feedback: [],
    evaluations: [],
    counts: {
      conversations: 0,
      turns: 0,
      interactions: 0,
      toolCalls: 0,
      streamed: 0,
      truncated: 0,
      feedback: 0,
      evaluations: 0,
      orphanFeedback: 0,
      interactionsWithFeedback: 0,
    },
    export: { spans: spanStats, logs: logStats },
  };

  try {
    const client = createClient(loadOpenAI(), options.baseURL);
    const tracer = trace.getTracer(INSTRUMENTATION_SCOPE, '1.4.2');
    const evaluator = logs.getLogger(`${INSTRUMENTATION_SCOPE}.evaluator`, '1.4.2');
    const rand = seededRandom(seed);
    const conversations = options.conversations ?? 10;
    const feedbackShare = clamp01(options.feedbackShare ?? 0.5);
    const evaluationShare = clamp01(options.evaluationShare ?? 0.3);
    const app: AppContext = { client, tracer, evaluator, chatSpans, summary, rand };
    // Low-discrepancy choice of who gives feedback: the share is met closely
    // even in small runs; the seeded offsets make different seeds pick differently.
    const feedbackOffset = rand();
    const evaluationOffset = rand();

    for (let i = 0; i < conversations; i++) {
      const customer = CUSTOMERS[i % CUSTOMERS.length];
      const scenario = SCENARIOS[i % SCENARIOS.length](customer);
      const sessionId = `sess-${shortHash(seed)}-${String(i + 1).padStart(3, '0')}`;
      const finals = await runConversation(app, i + 1, scenario, customer, sessionId);
      summary.counts.conversations += 1;

      if (pick(i, feedbackShare, feedbackOffset) && finals.length > 0) {
        const target = finals[Math.floor(rand() * finals.length)];
        await giveFeedback(app, target, scenario, customer, sessionId);
      }
      if (pick(i, evaluationShare, evaluationOffset) && finals.length > 0) {
        emitEvaluation(app, finals[finals.length - 1]);
      }
      progress(`conversation ${i + 1}/${conversations} (${scenario.name}) done: ${finals.length} answer(s)`);
    }

    for (let k = 0; k < (options.orphanFeedback ?? 0); k++) {
      sendFeedbackSpan(app, {
        requestId: `chatcmpl-orphan${shortHash(seed)}${String(k).padStart(4, '0')}`,
        kind: 'thumbs',
        value: 0,
        reason: 'wrong',
        userId: CUSTOMERS[k % CUSTOMERS.length].userId,
        sessionId: `sess-orphan-${k}`,
        orphan: true,
      });
    }

    const withFeedback = new Set(summary.feedback.filter((f) => !f.orphan).map((f) => f.requestId));
    summary.counts.interactionsWithFeedback = withFeedback.size;
    summary.counts.feedback = summary.feedback.filter((f) => !f.orphan).length;
    summary.counts.orphanFeedback = summary.feedback.filter((f) => f.orphan).length;
    summary.counts.evaluations = summary.evaluations.length;
  } finally {
    // Flush first so the caller's "done" means "delivered" (or failed loudly in
    // the stats); shutdown alone would also flush but hides which part failed.
    await spanProcessor.forceFlush().catch(() => undefined);
    await logProcessor.forceFlush().catch(() => undefined);
    await sdk.shutdown().catch(() => undefined);
    // NodeSDK.shutdown leaves the instrumentation patched and the globals
    // registered; undo both so the app can run again in the same process.
    instrumentation.disable();
    trace.disable();
    logs.disable();
    context.disable();
    propagation.disable();
  }
  progress(
    `exported ${spanStats.exported} spans and ${logStats.exported} log records to ${endpoint}` +
      (spanStats.failed + logStats.failed > 0 ? ` (${spanStats.failed + logStats.failed} failed: ${spanStats.lastError ?? logStats.lastError ?? 'unknown error'})` : ''),
  );
  return summary;
}

// ---------------------------------------------------------------------------
// Conversations

interface AppContext {
  client: OpenAI;
  tracer: Tracer;
  evaluator: Logger;
  chatSpans: ChatSpanRecorder;
  summary: GenAiAppSummary;
  rand: () => number;
}

/** Runs one conversation; returns the final (non-tool-call) answers, one per turn. */
async function runConversation(app: AppContext, index: number, scenario: Scenario, customer: Customer, sessionId: string): Promise<AppInteraction[]> {
  const messages: ChatCompletionMessageParam[] = [{ role: 'system', content: SYSTEM_PROMPT }];
  const finals: AppInteraction[] = [];
  for (const [t, turn] of scenario.turns.entries()) {
    app.summary.counts.turns += 1;
    messages.push({ role: 'user', content: turn.user });
    // The request handler's span: user and session live here, on the parent of
    // the `chat` spans, as in a typical web app where the instrumentation
    // cannot know who the end user is.
    const final = await app.tracer.startActiveSpan(
      'support_assistant.handle_message',
      {
        kind: SpanKind.SERVER,
        attributes: {
          'user.id': customer.userId,
          'session.id': sessionId,
          'app.scenario': scenario.name,
          'app.turn': t + 1,
        },
      },
      async (span) => {
        try {
          return await runTurn(app, { index, turn: t + 1, scenario, customer, sessionId, script: turn }, messages);
        } catch (err) {
          span.recordException(err instanceof Error ? err : String(err));
          span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
          throw err;
        } finally {
          span.end();
        }
      },
    );
    if (final) finals.push(final);
  }
  return finals;
}

interface TurnInfo {
  index: number;
  turn: number;
  scenario: Scenario;
  customer: Customer;
  sessionId: string;
  script: TurnScript;
}

/** One user message: a model call, and if the model asks for tools, the tool results and a second call. */
async function runTurn(app: AppContext, info: TurnInfo, messages: ChatCompletionMessageParam[]): Promise<AppInteraction | undefined> {
  for (let step = 0; step < 3; step++) {
    const result = await callModel(app.client, info.scenario, info.script, messages);
    const chat = app.chatSpans.take(result.id);
    const interaction: AppInteraction = {
      responseId: result.id,
      conversation: info.index,
      turn: info.turn,
      step,
      scenario: info.scenario.name,
      requestModel: info.scenario.model,
      responseModel: result.model,
      userId: info.customer.userId,
      sessionId: info.sessionId,
      stream: info.script.stream === true,
      finishReason: result.finishReason,
      toolCall: result.toolCalls.length > 0,
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
      traceId: chat?.traceId ?? '',
      spanId: chat?.spanId ?? '',
      userMessage: info.script.user,
      output: result.content,
    };
    const counts = app.summary.counts;
    app.summary.interactions.push(interaction);
    counts.interactions += 1;
    if (interaction.toolCall) counts.toolCalls += 1;
    if (interaction.stream) counts.streamed += 1;
    if (interaction.finishReason === 'length') counts.truncated += 1;

    if (result.toolCalls.length === 0) {
      messages.push({ role: 'assistant', content: result.content });
      return interaction;
    }
    messages.push({ role: 'assistant', content: result.content || null, tool_calls: result.toolCalls });
    for (const call of result.toolCalls) {
      if (call.type !== 'function') continue;
      messages.push({ role: 'tool', tool_call_id: call.id, content: runTool(call.function.name, parseArgs(call.function.arguments), info.customer) });
    }
  }
  return undefined;
}

interface ModelResult {
  id: string;
  model: string;
  content: string;
  toolCalls: ChatCompletionMessageToolCall[];
  finishReason: string;
  inputTokens: number;
  outputTokens: number;
}

async function callModel(client: OpenAI, scenario: Scenario, script: TurnScript, messages: ChatCompletionMessageParam[]): Promise<ModelResult> {
  const common = {
    model: scenario.model,
    // A copy: the array keeps growing after the call, and the instrumentation
    // reads it while building log records.
    messages: [...messages],
    temperature: 0.3,
    ...(scenario.tools ? { tools: TOOLS } : {}),
    ...(script.json ? { response_format: { type: 'json_object' as const } } : {}),
    ...(script.maxTokens !== undefined ? { max_completion_tokens: script.maxTokens } : {}),
  };
  if (!script.stream) {
    const r = await client.chat.completions.create({ ...common, stream: false });
    const choice = r.choices[0];
    return {
      id: r.id,
      model: r.model,
      content: choice?.message.content ?? '',
      toolCalls: choice?.message.tool_calls ?? [],
      finishReason: choice?.finish_reason ?? '',
      inputTokens: r.usage?.prompt_tokens ?? 0,
      outputTokens: r.usage?.completion_tokens ?? 0,
    };
  }
  // include_usage: without it a streamed completion reports no token counts.
  const stream = await client.chat.completions.create({ ...common, stream: true, stream_options: { include_usage: true } });
  const result: ModelResult = { id: '', model: '', content: '', toolCalls: [], finishReason: '', inputTokens: 0, outputTokens: 0 };
  const calls = new Map<number, { id: string; name: string; args: string }>();
  for await (const chunk of stream) {
    result.id ||= chunk.id;
    result.model ||= chunk.model;
    if (chunk.usage) {
      result.inputTokens = chunk.usage.prompt_tokens;
      result.outputTokens = chunk.usage.completion_tokens;
    }
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.delta.content) result.content += choice.delta.content;
    for (const tc of choice.delta.tool_calls ?? []) {
      const entry = calls.get(tc.index) ?? { id: '', name: '', args: '' };
      entry.id ||= tc.id ?? '';
      entry.name ||= tc.function?.name ?? '';
      entry.args += tc.function?.arguments ?? '';
      calls.set(tc.index, entry);
    }
    if (choice.finish_reason) result.finishReason = choice.finish_reason;
  }
  result.toolCalls = [...calls.values()].map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.args } }));
  return result;
}

// ---------------------------------------------------------------------------
// Feedback and evaluations

/** Picks a kind like real users do: mostly thumbs, fewer ratings, corrections and edits. */
async function giveFeedback(app: AppContext, target: AppInteraction, scenario: Scenario, customer: Customer, sessionId: string): Promise<void> {
  const r = app.rand();
  const base = { requestId: target.responseId, userId: customer.userId, sessionId, orphan: false, link: target };
  if (r < 0.35) {
    const up = target.finishReason === 'stop' && app.rand() < 0.6;
    sendFeedbackSpan(app, { ...base, kind: 'thumbs', value: up ? 1 : 0, reason: up ? undefined : reasonFor(target, app.rand()) });
    // Some users who dislike an answer go on to say what it should have been:
    // two signals in one window, which the join must keep together.
    if (!up && app.rand() < 0.4) {
      await pause(5);
      sendFeedbackSpan(app, { ...base, kind: 'correction', reason: 'wrong', text: scenario.correction });
    }
  } else if (r < 0.55) {
    const value = 1 + Math.floor(app.rand() * 5);
    sendFeedbackSpan(app, { ...base, kind: 'rating', value, reason: value <= 2 ? reasonFor(target, app.rand()) : undefined });
  } else if (r < 0.7) {
    sendFeedbackSpan(app, { ...base, kind: 'correction', reason: target.finishReason === 'length' ? 'incomplete' : 'wrong', text: scenario.correction });
  } else if (r < 0.85) {
    sendFeedbackSpan(app, { ...base, kind: 'edit', text: editedText(target.output, customer) });
  } else {
    sendFeedbackSpan(app, { ...base, kind: 'accept', value: 1 });
  }
}

function reasonFor(target: AppInteraction, r: number): string {
  if (target.finishReason === 'length') return 'incomplete';
  const reasons = ['wrong', 'format', 'tone', 'off_topic'];
  return reasons[Math.floor(r * reasons.length)];
}

/** What an agent might paste into the reply box after touching up the draft (often adding PII back). */
function editedText(output: string, customer: Customer): string {
  const trimmed = output.replace(/\s*(Is there anything else I can help you with\?|Let me know if that works for you\.|Have a great day!)\s*$/, '').trim();
  return `Hi ${customer.name.split(' ')[0]}, ${trimmed.charAt(0).toLowerCase()}${trimmed.slice(1)} I'll keep you posted at ${customer.email}.`;
}

interface FeedbackInput {
  requestId: string;
  kind: FeedbackKind;
  value?: number;
  reason?: string;
  text?: string;
  userId: string;
  sessionId: string;
  orphan: boolean;
  /** The interaction, when known: the span gets a link to its `chat` span. */
  link?: AppInteraction;
}

/**
 * The project's feedback convention: a span named `feedback` in its own trace
 * (the user clicks later, in another request), pointing at the interaction by
 * request id and, where the app knows it, by a span link.
 */
function sendFeedbackSpan(app: AppContext, f: FeedbackInput): void {
  const attributes: Record<string, string | number> = {
    'feedback.request_id': f.requestId,
    'feedback.kind': f.kind,
    'feedback.source': 'user',
    'user.id': f.userId,
    'session.id': f.sessionId,
  };
  if (f.value !== undefined) attributes['feedback.value'] = f.value;
  if (f.reason !== undefined) attributes['feedback.reason'] = f.reason;
  if (f.text !== undefined) attributes['feedback.text'] = f.text;
  const linked: SpanContext | undefined =
    f.link && f.link.traceId && f.link.spanId ? { traceId: f.link.traceId, spanId: f.link.spanId, traceFlags: 1 } : undefined;
  const span = app.tracer.startSpan('feedback', {
    root: true,
    kind: SpanKind.INTERNAL,
    attributes,
    links: linked ? [{ context: linked }] : [],
  });
  span.end();
  const ctx = span.spanContext();
  app.summary.feedback.push({
    requestId: f.requestId,
    kind: f.kind,
    value: f.value,
    reason: f.reason,
    text: f.text,
    userId: f.userId,
    orphan: f.orphan,
    traceId: ctx.traceId,
    spanId: ctx.spanId,
  });
}

/**
 * An automated judge's verdict as the OTel GenAI evaluation event: a log
 * record named gen_ai.evaluation.result, parented to the evaluated `chat`
 * span and also carrying gen_ai.response.id, so either join path works.
 */
function emitEvaluation(app: AppContext, target: AppInteraction): void {
  const name = target.toolCall || target.step > 0 ? 'groundedness' : 'relevance';
  // Truncated answers get low scores, like a real judge would give them.
  const base = target.finishReason === 'length' ? 0.2 : 0.55;
  const scoreValue = Number((base + app.rand() * 0.43).toFixed(2));
  const good = scoreValue >= 0.5;
  const scoreLabel = name === 'relevance' ? (good ? 'relevant' : 'not_relevant') : good ? 'grounded' : 'ungrounded';
  const explanation = good
    ? `The answer addresses the customer's ${target.scenario.replace(/_/g, ' ')} request directly.`
    : `The answer ${target.finishReason === 'length' ? 'stops mid-sentence and' : ''} does not resolve the ${target.scenario.replace(/_/g, ' ')} request.`.replace(/\s+/g, ' ');
  let ctx: Context = context.active();
  if (target.traceId && target.spanId) {
    ctx = trace.setSpanContext(ctx, { traceId: target.traceId, spanId: target.spanId, traceFlags: 1 });
  }
  app.evaluator.emit({
    eventName: 'gen_ai.evaluation.result',
    severityNumber: SeverityNumber.INFO,
    context: ctx,
    attributes: {
      // Also as an attribute: consumers built for semconv ≤1.36 look for it there.
      'event.name': 'gen_ai.evaluation.result',
      'gen_ai.response.id': target.responseId,
      'gen_ai.evaluation.name': name,
      'gen_ai.evaluation.score.value': scoreValue,
      'gen_ai.evaluation.score.label': scoreLabel,
      'gen_ai.evaluation.explanation': explanation,
    },
  });
  app.summary.evaluations.push({ requestId: target.responseId, name, scoreValue, scoreLabel, explanation });
}

// ---------------------------------------------------------------------------
// SDK plumbing

/**
 * Remembers the context of each finished `chat` span by response id, so
 * feedback can link to it and evaluations can be parented to it. Runs before
 * the batch processor, in the same provider.
 */
class ChatSpanRecorder implements SpanProcessor {
  private readonly byResponseId = new Map<string, { traceId: string; spanId: string }>();

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    const id = span.attributes['gen_ai.response.id'];
    if (typeof id === 'string') {
      const ctx = span.spanContext();
      this.byResponseId.set(id, { traceId: ctx.traceId, spanId: ctx.spanId });
    }
  }

  take(responseId: string): { traceId: string; spanId: string } | undefined {
    const found = this.byResponseId.get(responseId);
    this.byResponseId.delete(responseId);
    return found;
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Counts what the exporter delivered, so a run against a dead endpoint is visible in the summary. */
class CountingSpanExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly stats: ExportStats,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      record(this.stats, spans.length, result);
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve();
  }
}

class CountingLogExporter implements LogRecordExporter {
  constructor(
    private readonly inner: LogRecordExporter,
    private readonly stats: ExportStats,
  ) {}

  export(records: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(records, (result) => {
      record(this.stats, records.length, result);
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve();
  }
}

function record(stats: ExportStats, items: number, result: ExportResult): void {
  stats.requests += 1;
  if (result.code === ExportResultCode.SUCCESS) {
    stats.exported += items;
  } else {
    stats.failed += items;
    stats.lastError = result.error?.message ?? 'export failed';
  }
}

/**
 * NodeSDK registers global providers; if the host process already has one,
 * registration silently fails and this app's telemetry would go to the host's
 * exporter. A span that is never ended is never exported, so probing is free.
 */
function assertNoGlobalTracerProvider(): void {
  const probe = trace.getTracer('otel-feedback-loop.probe').startSpan('probe');
  if (probe.isRecording()) {
    throw new Error(
      'A global OpenTelemetry tracer provider is already registered in this process; ' +
        'run the test app in a child process instead (runGenAiAppInChildProcess).',
    );
  }
}

let sharedInstrumentation: OpenAIInstrumentation | undefined;

/**
 * One instance per process. A second instance would never see `openai` being
 * loaded again (require-in-the-middle patches a module once and caches the
 * result), so later runs would produce no `chat` spans; re-enabling the
 * first instance re-applies its patch to the module it captured.
 */
function openAIInstrumentation(): OpenAIInstrumentation {
  sharedInstrumentation ??= new OpenAIInstrumentation({ captureMessageContent: true });
  return sharedInstrumentation;
}

type OpenAIModule = typeof import('openai');

/**
 * `openai` is required only now, after sdk.start(): the instrumentation
 * patches the module when it is loaded, so a top-level import would load it
 * unpatched and no `chat` spans would be produced.
 */
function loadOpenAI(): OpenAIModule {
  return require('openai') as OpenAIModule;
}

function createClient(mod: OpenAIModule, baseURL: string): OpenAI {
  // maxRetries 0: a retried call would be a second span with the same response id.
  return new mod.OpenAI({ apiKey: 'sk-test-not-a-real-key', baseURL, maxRetries: 0, timeout: 15_000 });
}

// ---------------------------------------------------------------------------
// Child-process runner and CLI

/** Options that survive JSON (no callbacks). */
export type SerializableGenAiAppOptions = Omit<GenAiAppOptions, 'onProgress'>;

/**
 * Runs the app in a fresh Node process. Use it when the calling process has
 * its own OpenTelemetry SDK (for example the service under test running
 * in-process with self-tracing), since the app registers global providers.
 */
export function runGenAiAppInChildProcess(options: SerializableGenAiAppOptions, progress?: (line: string) => void): Promise<GenAiAppSummary> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--child'], {
      env: { ...process.env, GENAI_APP_OPTIONS: JSON.stringify(options) },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let summary: GenAiAppSummary | undefined;
    let failure: string | undefined;
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      for (const line of text.split('\n')) if (line) progress?.(line);
    });
    child.on('message', (msg: unknown) => {
      if (typeof msg === 'object' && msg !== null && 'summary' in msg) summary = (msg as { summary: GenAiAppSummary }).summary;
      if (typeof msg === 'object' && msg !== null && 'error' in msg) failure = String((msg as { error: unknown }).error);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (summary) resolve(summary);
      else reject(new Error(failure ?? `genai test app exited with code ${String(code)} without a summary`));
    });
  });
}

function parseArgs(json: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(json);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Is conversation i among the chosen `share`? A golden-ratio sequence spreads picks evenly. */
function pick(i: number, share: number, offset: number): boolean {
  if (share <= 0) return false;
  if (share >= 1) return true;
  const x = (i * 0.6180339887498949 + offset) % 1;
  return x < share;
}

/** Eight hex characters: keeps ids derived from the seed short and free of odd characters. */
function shortHash(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 8);
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--child')) {
    const opts = JSON.parse(process.env.GENAI_APP_OPTIONS ?? '{}') as SerializableGenAiAppOptions;
    try {
      const summary = await runGenAiApp({ ...opts, onProgress: (line) => console.log(line) });
      await new Promise<void>((resolve) => process.send?.({ summary }, () => resolve()) ?? resolve());
    } catch (err) {
      await new Promise<void>((resolve) => process.send?.({ error: String(err) }, () => resolve()) ?? resolve());
      process.exitCode = 1;
    }
    return;
  }
  // Standalone use: start a fake model server unless told where a model is.
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const seed = flag('--seed') ?? `run-${Date.now().toString(36)}`;
  const server = flag('--base-url') ? undefined : await startFakeModelServer({ seed });
  try {
    const summary = await runGenAiApp({
      baseURL: flag('--base-url') ?? (server as { baseURL: string }).baseURL,
      otlpEndpoint: flag('--otlp-endpoint'),
      protocol: flag('--protocol') === 'http/json' ? 'http/json' : 'http/protobuf',
      conversations: flag('--conversations') ? Number(flag('--conversations')) : undefined,
      feedbackShare: flag('--feedback-share') ? Number(flag('--feedback-share')) : undefined,
      seed,
      onProgress: (line) => console.log(line),
    });
    console.log(JSON.stringify(summary.counts, null, 2));
  } finally {
    await server?.stop();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
