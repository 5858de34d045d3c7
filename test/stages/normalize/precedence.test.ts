import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '../../../src/model';
import type { Span } from '../../../src/otlp/types';
import { interactions, mkSpan, normalizer, only, tracesOf } from './helpers';

// When one span speaks several dialects, the most structured content wins:
// current > vercel > openinference > openllmetry > legacy; semconv ≤1.36 is
// the dialect only of content-less semconv spans. Lower-ranked dialects fill
// the message sides the winner left empty.

const current = {
  'gen_ai.provider.name': 'openai',
  'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'from current' }] }]),
  'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'current answer' }], finish_reason: 'stop' }]),
};
const openllmetry = {
  'gen_ai.system': 'openai',
  'llm.request.type': 'chat',
  'gen_ai.prompt.0.role': 'user',
  'gen_ai.prompt.0.content': 'from openllmetry',
  'gen_ai.completion.0.role': 'assistant',
  'gen_ai.completion.0.content': 'openllmetry answer',
};
const legacy = { 'gen_ai.prompt': 'from legacy', 'gen_ai.completion': 'legacy answer' };
const vercel = {
  'ai.operationId': 'ai.generateText.doGenerate',
  'ai.model.id': 'gpt-4o-mini',
  'ai.model.provider': 'openai.chat',
  'ai.prompt.messages': JSON.stringify([{ role: 'user', content: [{ type: 'text', text: 'from vercel' }] }]),
  'ai.response.text': 'vercel answer',
};
const openinference = {
  'openinference.span.kind': 'LLM',
  'llm.model_name': 'gpt-4o-mini',
  'llm.input_messages.0.message.role': 'user',
  'llm.input_messages.0.message.content': 'from openinference',
  'llm.output_messages.0.message.role': 'assistant',
  'llm.output_messages.0.message.content': 'openinference answer',
};

function one(span: Span) {
  return only(interactions(normalizer().traces(tracesOf([span])).events));
}

function firstText(messages: readonly Message[]): string | undefined {
  const p = messages[0]?.parts[0];
  return p !== undefined && p.type === 'text' ? p.content : undefined;
}

describe('dialect precedence', () => {
  it('current wins over openllmetry and legacy on the same span', () => {
    const it0 = one(mkSpan({ ...legacy, ...openllmetry, ...current }));
    assert.equal(it0.dialect, 'otel_genai_current');
    assert.equal(firstText(it0.inputMessages), 'from current');
    assert.equal(firstText(it0.outputMessages), 'current answer');
    assert.equal(it0.provider, 'openai');
    assert.equal(it0.operation, 'chat', 'fields of lower dialects still fill what the winner lacks');
  });

  it('vercel wins over openllmetry; semconv fields win over ai.* for the same field', () => {
    const it0 = one(mkSpan({ ...openllmetry, ...vercel, 'gen_ai.request.model': 'semconv-model' }));
    assert.equal(it0.dialect, 'vercel_ai_sdk');
    assert.equal(firstText(it0.inputMessages), 'from vercel');
    assert.equal(it0.requestModel, 'semconv-model');
  });

  it('openinference wins over openllmetry', () => {
    const it0 = one(mkSpan({ ...openllmetry, ...openinference }));
    assert.equal(it0.dialect, 'openinference');
    assert.equal(firstText(it0.outputMessages), 'openinference answer');
  });

  it('openllmetry wins over legacy, and over the gen_ai.system it shares with semconv 1.36', () => {
    const it0 = one(mkSpan({ ...legacy, ...openllmetry, 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.prompt_tokens': 3 }));
    assert.equal(it0.dialect, 'openllmetry');
    assert.equal(firstText(it0.inputMessages), 'from openllmetry');
    assert.deepEqual(it0.usage, { inputTokens: 3 });
  });

  it('a semconv span whose content is in legacy events is legacy, with the semconv fields', () => {
    const span = mkSpan(
      { 'gen_ai.system': 'cohere', 'gen_ai.request.model': 'command-r' },
      {
        eventList: [
          { timeMs: 1, name: 'gen_ai.content.prompt', attributes: new Map([['gen_ai.prompt', 'hi']]) },
          { timeMs: 2, name: 'gen_ai.content.completion', attributes: new Map([['gen_ai.completion', 'hello']]) },
        ],
      },
    );
    const it0 = one(span);
    assert.equal(it0.dialect, 'legacy_prompt_completion');
    assert.equal(it0.provider, 'cohere');
    assert.equal(firstText(it0.outputMessages), 'hello');
  });

  it('a semconv span with no content is 1.36 (its content arrives as logs)', () => {
    const it0 = one(mkSpan({ 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.prompt_tokens': 7 }));
    assert.equal(it0.dialect, 'otel_genai_1_36');
    assert.deepEqual(it0.usage, { inputTokens: 7 });
  });

  it('a current span with content capture off keeps its dialect', () => {
    const it0 = one(mkSpan({ 'gen_ai.provider.name': 'openai', 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 5 }));
    assert.equal(it0.dialect, 'otel_genai_current');
    assert.deepEqual(it0.inputMessages, []);
  });

  it('lower dialects fill only the message sides the winner left empty', () => {
    const it0 = one(mkSpan({ ...openllmetry, 'gen_ai.provider.name': 'openai', 'gen_ai.input.messages': current['gen_ai.input.messages'] }));
    assert.equal(it0.dialect, 'otel_genai_current');
    assert.equal(firstText(it0.inputMessages), 'from current');
    assert.equal(firstText(it0.outputMessages), 'openllmetry answer');
  });

  it('a GenAI-looking span no dialect recognizes passes as unknown', () => {
    const it0 = one(mkSpan({ 'gen_ai.agent.name': 'planner', 'gen_ai.usage.total_tokens': 12 }));
    assert.equal(it0.dialect, 'unknown');
    assert.deepEqual(it0.usage, { totalTokens: 12 });
    assert.equal(it0.requestId, `${it0.span.traceId}:${it0.span.spanId}`);
  });
});
