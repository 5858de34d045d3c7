// Checks that the instrumented test app really exports what the end-to-end
// tests rely on, by pointing it at a recorder instead of the service: the SDK
// fails quietly (a second api-logs copy, a wrong processor constructor, an
// `openai` loaded before the instrumentation), so this guards the fixture itself.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { start } from './fake-model-server';
import type { FakeModelServer } from './fake-model-server';
import { runGenAiApp, runGenAiAppInChildProcess } from './genai-app';
import type { GenAiAppSummary } from './genai-app';
import { startOtlpRecorder } from './otlp-recorder';
import type { OtlpRecorder, RecordedLogRecord, RecordedSpan } from './otlp-recorder';

describe('instrumented GenAI test app (OTLP JSON)', () => {
  let model: FakeModelServer;
  let recorder: OtlpRecorder;
  let summary: GenAiAppSummary;
  let spans: RecordedSpan[];
  let records: RecordedLogRecord[];

  before(async () => {
    model = await start({ seed: 'genai-app-test' });
    recorder = await startOtlpRecorder();
    summary = await runGenAiApp({
      baseURL: model.baseURL,
      otlpEndpoint: recorder.url,
      protocol: 'http/json',
      conversations: 8,
      feedbackShare: 0.75,
      evaluationShare: 0.5,
      orphanFeedback: 1,
      seed: 'genai-app-test',
    });
    spans = recorder.spans();
    records = recorder.logRecords();
  });

  after(async () => {
    await model.stop();
    await recorder.stop();
  });

  it('exports everything without failures, as OTLP JSON', () => {
    assert.equal(summary.export.spans.failed, 0, summary.export.spans.lastError);
    assert.equal(summary.export.logs.failed, 0, summary.export.logs.lastError);
    assert.ok(recorder.requests.length > 0);
    for (const r of recorder.requests) assert.match(r.contentType, /application\/json/);
    assert.equal(spans.length, summary.export.spans.exported);
    assert.equal(records.length, summary.export.logs.exported);
  });

  it('covers the cases the pipeline must handle: tool calls, streaming, truncation, multi-turn', () => {
    const c = summary.counts;
    assert.equal(c.conversations, 8);
    assert.ok(c.toolCalls > 0, 'tool calls');
    assert.ok(c.streamed > 0, 'streamed completions');
    assert.ok(c.truncated > 0, 'finish_reason length');
    assert.ok(c.turns > c.conversations, 'multi-turn conversations');
    assert.deepEqual(
      summary.interactions.map((i) => i.responseId),
      model.served.map((s) => s.id),
      'one interaction per completion the model served, in order',
    );
  });

  it('produces a `chat <model>` span with gen_ai.system=openai and gen_ai.response.id for every completion', () => {
    const chat = spans.filter((s) => s.name.startsWith('chat '));
    assert.equal(chat.length, summary.interactions.length);
    for (const i of summary.interactions) {
      const span = chat.find((s) => s.attributes['gen_ai.response.id'] === i.responseId);
      assert.ok(span, `chat span for ${i.responseId}`);
      assert.equal(span.name, `chat ${i.requestModel}`);
      assert.equal(span.attributes['gen_ai.system'], 'openai');
      assert.equal(span.attributes['gen_ai.response.model'], i.responseModel);
      assert.equal(span.attributes['gen_ai.usage.input_tokens'], i.inputTokens);
      assert.equal(span.attributes['gen_ai.usage.output_tokens'], i.outputTokens);
      assert.equal(span.traceId, i.traceId);
      assert.equal(span.spanId, i.spanId);
      assert.equal(span.resource['service.name'], 'support-assistant');
      // User and session are on the parent (the request handler), not on the chat span.
      const parent = spans.find((s) => s.spanId === span.parentSpanId);
      assert.equal(parent?.attributes['user.id'], i.userId);
      assert.equal(parent?.attributes['session.id'], i.sessionId);
    }
  });

  it('exports message content as log records tied to the chat spans, PII included (redaction is the service’s job)', () => {
    const chatIds = new Set(spans.filter((s) => s.name.startsWith('chat ')).map((s) => s.spanId));
    const userMessages = records.filter((r) => r.eventName === 'gen_ai.user.message');
    const choices = records.filter((r) => r.eventName === 'gen_ai.choice');
    assert.ok(records.some((r) => r.eventName === 'gen_ai.system.message'));
    assert.ok(records.some((r) => r.eventName === 'gen_ai.tool.message'));
    assert.equal(choices.length, summary.interactions.length);
    assert.ok(userMessages.length >= summary.counts.turns);
    for (const r of [...userMessages, ...choices]) {
      assert.ok(chatIds.has(r.spanId), `${r.eventName} parented to a chat span`);
      assert.equal(r.attributes['gen_ai.system'], 'openai');
    }
    const contents = userMessages.map((r) => (r.body as { content?: string }).content ?? '');
    assert.ok(contents.some((t) => /@example\.(com|org|net|de)/.test(t)), 'an email address in a prompt');
    assert.ok(contents.some((t) => /\b4111 1111 1111 1111\b|\b5555 5555 5555 4444\b/.test(t)), 'a card number in a prompt');
  });

  it('sends feedback spans in the feedback.* convention, linked to the chat span', () => {
    const fb = spans.filter((s) => s.name === 'feedback');
    assert.equal(fb.length, summary.feedback.length);
    assert.ok(summary.counts.feedback >= 4);
    assert.equal(summary.counts.orphanFeedback, 1);
    const ids = new Set(summary.interactions.map((i) => i.responseId));
    for (const f of summary.feedback) {
      const span = fb.find((s) => s.spanId === f.spanId);
      assert.ok(span);
      assert.equal(span.attributes['feedback.request_id'], f.requestId);
      assert.equal(span.attributes['feedback.kind'], f.kind);
      assert.equal(span.attributes['feedback.source'], 'user');
      assert.equal(span.attributes['user.id'], f.userId);
      assert.equal(span.attributes['feedback.value'], f.value);
      assert.equal(span.attributes['feedback.reason'], f.reason);
      assert.equal(span.attributes['feedback.text'], f.text);
      assert.equal(ids.has(f.requestId), !f.orphan);
      if (!f.orphan) {
        const target = summary.interactions.find((i) => i.responseId === f.requestId);
        assert.deepEqual(span.links, [{ traceId: target?.traceId, spanId: target?.spanId }]);
      }
      if (f.kind === 'thumbs') assert.ok(f.value === 0 || f.value === 1);
      if (f.kind === 'rating') assert.ok(f.value !== undefined && f.value >= 1 && f.value <= 5);
      if (f.kind === 'correction' || f.kind === 'edit') assert.ok(f.text && f.text.length > 0);
    }
  });

  it('emits gen_ai.evaluation.result log records carrying the response id, parented to the evaluated span', () => {
    const evals = records.filter((r) => r.eventName === 'gen_ai.evaluation.result');
    assert.ok(evals.length > 0);
    assert.equal(evals.length, summary.evaluations.length);
    for (const e of summary.evaluations) {
      const rec = evals.find((r) => r.attributes['gen_ai.response.id'] === e.requestId);
      assert.ok(rec);
      assert.equal(rec.attributes['event.name'], 'gen_ai.evaluation.result');
      assert.equal(rec.attributes['gen_ai.evaluation.name'], e.name);
      assert.equal(rec.attributes['gen_ai.evaluation.score.value'], e.scoreValue);
      assert.equal(rec.attributes['gen_ai.evaluation.score.label'], e.scoreLabel);
      assert.equal(rec.attributes['gen_ai.evaluation.explanation'], e.explanation);
      const target = summary.interactions.find((i) => i.responseId === e.requestId);
      assert.equal(rec.spanId, target?.spanId);
      assert.equal(rec.traceId, target?.traceId);
    }
  });
});

describe('instrumented GenAI test app, run again', () => {
  it('instruments a second run in the same process, over OTLP protobuf', async () => {
    const model = await start({ seed: 'second-run' });
    const recorder = await startOtlpRecorder();
    try {
      const summary = await runGenAiApp({ baseURL: model.baseURL, otlpEndpoint: recorder.url, conversations: 3 });
      assert.ok(summary.interactions.length >= 3);
      // traceId is filled from the chat span: empty would mean openai was not patched this time.
      for (const i of summary.interactions) assert.match(i.traceId, /^[0-9a-f]{32}$/);
      assert.equal(summary.export.spans.failed + summary.export.logs.failed, 0);
      assert.ok(summary.export.logs.exported > summary.interactions.length);
      const paths = new Set(recorder.requests.map((r) => `${r.path} ${r.contentType}`));
      assert.ok(paths.has('/v1/traces application/x-protobuf'));
      assert.ok(paths.has('/v1/logs application/x-protobuf'));
    } finally {
      await model.stop();
      await recorder.stop();
    }
  });

  it('runs in a child process and returns the same kind of summary', async () => {
    const model = await start({ seed: 'child' });
    const recorder = await startOtlpRecorder();
    try {
      const summary = await runGenAiAppInChildProcess({ baseURL: model.baseURL, otlpEndpoint: recorder.url, protocol: 'http/json', conversations: 2 });
      assert.equal(summary.counts.conversations, 2);
      const chat = recorder.spans().filter((s) => s.name.startsWith('chat '));
      assert.deepEqual(
        chat.map((s) => s.attributes['gen_ai.response.id']).sort(),
        summary.interactions.map((i) => i.responseId).sort(),
      );
    } finally {
      await model.stop();
      await recorder.stop();
    }
  });
});
