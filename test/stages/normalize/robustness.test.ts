import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fragments, interactions, kv, logsOf, mkLog, mkSpan, normalizer, only, tracesOf } from './helpers';

// Bad or partial input never throws: the item passes with what could be read,
// unreadable content is counted in `partial`, and what cannot belong anywhere
// is dropped with a reason.

const TRACE = 'ab'.repeat(16);
const SPAN = '12'.repeat(8);

describe('malformed message JSON', () => {
  it('a truncated gen_ai.input.messages is counted; the interaction passes with the rest', () => {
    const span = mkSpan({
      'gen_ai.provider.name': 'openai',
      'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"cut off he',
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'ok' }] }]),
      'gen_ai.usage.input_tokens': 10,
    });
    const r = normalizer().traces(tracesOf([span]));
    const it0 = only(interactions(r.events));
    assert.equal(it0.requestId, 'chatcmpl-1');
    assert.deepEqual(it0.inputMessages, []);
    assert.deepEqual(it0.outputMessages, [{ role: 'assistant', parts: [{ type: 'text', content: 'ok' }] }]);
    assert.deepEqual(it0.usage, { inputTokens: 10 });
    assert.deepEqual(r.partial, { malformed_messages: 1 });
  });

  it('valid JSON of the wrong shape is skipped piece by piece', () => {
    const span = mkSpan({
      'gen_ai.provider.name': 'openai',
      'gen_ai.input.messages': JSON.stringify([1, null, 'bare text', { parts: 'nope' }, { role: 'user', parts: [7, { type: 'text' }, { type: 'tool_call' }] }]),
      'gen_ai.output.messages': JSON.stringify({ not: 'a list' }),
      'gen_ai.system_instructions': JSON.stringify({ weird: true }),
    });
    const it0 = only(interactions(normalizer().traces(tracesOf([span])).events));
    assert.deepEqual(it0.inputMessages, [
      { role: 'user', parts: [{ type: 'text', content: 'bare text' }] },
      { role: 'user', parts: [] },
      { role: 'user', parts: [] },
    ]);
    assert.deepEqual(it0.outputMessages, [{ role: 'assistant', parts: [] }]);
    assert.deepEqual(it0.systemInstructions, []);
  });

  it('malformed Vercel, OpenInference and 1.36 payloads do not throw', () => {
    const spans = [
      mkSpan({ 'ai.operationId': 'ai.generateText.doGenerate', 'ai.prompt.messages': '[{', 'ai.response.toolCalls': '{]', 'ai.response.text': 'fine' }),
      mkSpan({ 'openinference.span.kind': 'LLM', 'llm.invocation_parameters': '{temperature:', 'output.value': '{', 'output.mime_type': 'application/json' }),
    ];
    const r = normalizer().traces(tracesOf(spans));
    const [vercel, oi] = interactions(r.events);
    assert.ok(vercel && oi);
    assert.deepEqual(vercel.outputMessages, [{ role: 'assistant', parts: [{ type: 'text', content: 'fine' }] }]);
    assert.deepEqual(oi.params, {});
    assert.deepEqual(r.partial, { malformed_messages: 4 });

    const logs = normalizer().logs(
      logsOf([
        mkLog({ 'event.name': 'gen_ai.user.message' }, { body: '{"content": "unterminated', traceId: TRACE, spanId: SPAN }),
        mkLog({ 'event.name': 'gen_ai.choice' }, { body: 17, traceId: TRACE, spanId: SPAN }),
      ]),
    );
    const f = only(fragments(logs.events));
    assert.deepEqual(f.inputMessages, [{ role: 'user', parts: [] }]);
    assert.deepEqual(f.outputMessages, [{ role: 'assistant', parts: [] }]);
    assert.deepEqual(logs.partial, { malformed_messages: 1 });
  });

  it('hostile keys in message JSON do not reach any prototype', () => {
    const span = mkSpan({
      'gen_ai.provider.name': 'openai',
      'gen_ai.input.messages':
        '[{"__proto__":{"polluted":1},"role":"user","parts":[{"type":"tool_call","name":"t","arguments":{"__proto__":{"polluted":2}}}]}]',
    });
    const it0 = only(interactions(normalizer().traces(tracesOf([span])).events));
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.deepEqual(it0.inputMessages[0]!.parts, [{ type: 'tool_call', id: '', name: 't', arguments: '{"__proto__":{"polluted":2}}' }]);
  });

  it('keeps no inline bytes: data URLs shrink to their media type, blob parts to nothing', () => {
    const span = mkSpan({
      'gen_ai.provider.name': 'openai',
      'gen_ai.input.messages': JSON.stringify([
        {
          role: 'user',
          parts: [
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==' } },
            { type: 'blob', modality: 'image', mime_type: 'image/png', content: 'iVBORw0KGgoAAAANSUhEUg==' },
          ],
        },
      ]),
    });
    const it0 = only(interactions(normalizer().traces(tracesOf([span])).events));
    assert.deepEqual(it0.inputMessages[0]!.parts, [
      { type: 'other', originalType: 'image_url', content: 'data:image/png' },
      { type: 'other', originalType: 'blob', content: 'image/png' },
    ]);
  });
});

describe('request ids', () => {
  it('takes the first configured attribute present; gen_ai.response.id also matches ai.response.id', () => {
    const n = normalizer({ request_id_attributes: ['app.request_id', 'gen_ai.response.id'] });
    const r = n.traces(
      tracesOf([
        mkSpan({ 'gen_ai.provider.name': 'x', 'app.request_id': 'req-42', 'gen_ai.response.id': 'resp-1' }),
        mkSpan({ 'ai.operationId': 'ai.streamText.doStream', 'ai.response.id': 'aitxt-9' }),
        mkSpan({ 'gen_ai.provider.name': 'x', 'app.request_id': 7 }),
      ]),
    );
    const [a, b, c] = interactions(r.events);
    assert.equal(a?.requestId, 'req-42');
    assert.equal(a?.responseId, 'resp-1');
    assert.equal(b?.requestId, 'aitxt-9');
    assert.equal(b?.responseId, 'aitxt-9');
    assert.equal(c?.requestId, '7');
  });

  it('falls back to trace_id:span_id', () => {
    const span = mkSpan({ 'gen_ai.provider.name': 'x' }, { traceId: TRACE, spanId: SPAN });
    assert.equal(only(interactions(normalizer().traces(tracesOf([span])).events)).requestId, `${TRACE}:${SPAN}`);
  });
});

describe('spans that are not model calls', () => {
  it('honours skip_operations', () => {
    const spans = [mkSpan({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.provider.name': 'x' }), mkSpan({ 'gen_ai.operation.name': 'execute_tool' })];
    const dflt = normalizer().traces(tracesOf(spans));
    assert.equal(interactions(dflt.events).length, 1);
    assert.deepEqual(dflt.dropped, { not_model_call: 1 });
    const custom = normalizer({ skip_operations: ['invoke_agent'] }).traces(tracesOf(spans));
    assert.equal(only(interactions(custom.events)).operation, 'execute_tool');
  });
});

describe('errors', () => {
  it('error.type when given; _OTHER for a status ERROR without one', () => {
    const r = normalizer().traces(
      tracesOf([
        mkSpan({ 'gen_ai.provider.name': 'x', 'error.type': 'timeout' }, { statusCode: 2 }),
        mkSpan({ 'gen_ai.provider.name': 'x' }, { statusCode: 2, statusMessage: 'upstream said no' }),
        mkSpan({ 'gen_ai.provider.name': 'x' }, { statusCode: 1 }),
      ]),
    );
    assert.deepEqual(
      interactions(r.events).map((i) => i.errorType),
      ['timeout', '_OTHER', undefined],
    );
  });
});

describe('log records with nowhere to go', () => {
  it('content without a span context is dropped', () => {
    const r = normalizer().logs(logsOf([mkLog({}, { eventName: 'gen_ai.user.message', body: kv({ content: 'hi' }) })]));
    assert.deepEqual(r.events, []);
    assert.deepEqual(r.dropped, { content_without_span: 1 });
  });

  it('an operation-details event joins by response id without a span, and is dropped with neither', () => {
    const full = { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm' };
    const r = normalizer().logs(
      logsOf([
        mkLog({ ...full, 'gen_ai.response.id': 'resp-7' }, { eventName: 'gen_ai.client.inference.operation.details' }),
        mkLog(full, { eventName: 'gen_ai.client.inference.operation.details' }),
        mkLog({ 'gen_ai.provider.name': 'openai', 'gen_ai.input.messages': [] }, { eventName: 'gen_ai.client.inference.operation.details' }),
      ]),
    );
    const it0 = only(interactions(r.events));
    assert.equal(it0.requestId, 'resp-7');
    assert.deepEqual(it0.span, { traceId: '', spanId: '' });
    assert.deepEqual(r.dropped, { missing_context: 2 });
  });

  it('other log records are not GenAI', () => {
    const r = normalizer().logs(logsOf([mkLog({ 'http.route': '/x' }, { body: 'GET /x 200' })]));
    assert.deepEqual(r.dropped, { not_genai: 1 });
    assert.equal(r.received, 1);
  });

  it('a 1.36 choice body sent as a JSON string is read like a kvlist', () => {
    const body = JSON.stringify({ index: 0, finish_reason: 'length', message: { content: 'partial answ' } });
    const r = normalizer().logs(logsOf([mkLog({ 'event.name': 'gen_ai.choice' }, { body, traceId: TRACE, spanId: SPAN })]));
    assert.deepEqual(only(fragments(r.events)).outputMessages, [
      { role: 'assistant', parts: [{ type: 'text', content: 'partial answ' }], finishReason: 'length' },
    ]);
  });
});

describe('message shapes', () => {
  it('reads OpenAI-style and Anthropic-style messages carried as legacy JSON', () => {
    const prompt = JSON.stringify([
      { role: 'assistant', content: null, function_call: { name: 'lookup', arguments: '{"q":1}' } },
      { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: 'part one, ' }, { type: 'text', text: 'part two' }] },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm' }, { type: 'tool_use', id: 'tu_1', name: 'search', input: { q: 'x' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu_1', content: 'found it' }] },
      { role: 'assistant', content: 'Sorry.', refusal: 'I cannot help with that.' },
    ]);
    const it0 = only(interactions(normalizer().traces(tracesOf([mkSpan({ 'gen_ai.prompt': prompt })])).events));
    assert.deepEqual(
      it0.inputMessages.map((m) => m.parts),
      [
        [{ type: 'tool_call', id: '', name: 'lookup', arguments: '{"q":1}' }],
        [{ type: 'tool_call_response', id: 'call_1', response: 'part one, part two' }],
        [
          { type: 'reasoning', content: 'hmm' },
          { type: 'tool_call', id: 'tu_1', name: 'search', arguments: '{"q":"x"}' },
        ],
        [{ type: 'tool_call_response', id: 'tu_1', response: 'found it' }],
        [
          { type: 'text', content: 'Sorry.' },
          { type: 'other', originalType: 'refusal', content: 'I cannot help with that.' },
        ],
      ],
    );
  });
});
