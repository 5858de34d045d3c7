import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fragments, interactions, logsFixture, near, normalizer, only, tracesFixture } from './helpers';

// Each fixture, normalized field by field. The semconv-1.36 and Responses API
// fixtures were recorded from @opentelemetry/instrumentation-openai 0.21.0
// (see test/fixtures/dialects/README.md); the others follow the emitters' code.

describe('otel_genai_current', () => {
  const r = normalizer().traces(tracesFixture('dialects', 'semconv-current-chat-tool-call.json'));

  it('reads one interaction; the HTTP parent and the execute_tool span are dropped with reasons', () => {
    assert.equal(r.received, 3);
    assert.deepEqual(r.dropped, { not_genai: 1, not_model_call: 1 });
    assert.deepEqual(r.partial, {});
    assert.equal(r.events.length, 1);
  });

  it('maps identity, models, params, usage and timing', () => {
    const it0 = only(interactions(r.events));
    assert.equal(it0.dialect, 'otel_genai_current');
    assert.equal(it0.requestId, 'chatcmpl-C3xHh0Y2Wz');
    assert.equal(it0.responseId, 'chatcmpl-C3xHh0Y2Wz');
    assert.deepEqual(it0.span, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: 'b7ad6b7169203331' });
    assert.equal(it0.parentSpanId, '00f067aa0ba902b7');
    assert.equal(it0.provider, 'openai');
    assert.equal(it0.operation, 'chat');
    assert.equal(it0.requestModel, 'gpt-4o');
    assert.equal(it0.responseModel, 'gpt-4o-2024-08-06');
    assert.equal(it0.conversationId, 'conv_5j66UpCpwteGg4YSxUnt7lPY');
    assert.equal(it0.promptName, 'weather-agent');
    assert.equal(it0.promptVersion, '3');
    assert.equal(it0.userId, 'u-4821');
    assert.equal(it0.sessionId, 'sess-77');
    assert.deepEqual(it0.params, { temperature: 0.3, topP: 0.9, maxTokens: 512, seed: 42, outputType: 'text', stopSequences: ['END'] });
    assert.deepEqual(it0.usage, { inputTokens: 512, outputTokens: 87, cacheReadInputTokens: 256 });
    assert.deepEqual(it0.finishReasons, ['stop']);
    near(it0.startTimeMs, 1_768_471_200_100, 'start');
    near(it0.endTimeMs, 1_768_471_201_850, 'end');
    near(it0.latencyMs, 1750, 'latency');
    near(it0.timeToFirstChunkMs, 412, 'time to first chunk (seconds on the wire)');
    assert.deepEqual(it0.resource, { serviceName: 'travel-agent', serviceVersion: '2.0.1', environment: 'production' });
    assert.equal(it0.errorType, undefined);
    assert.deepEqual(it0.extra, {});
  });

  it('reads system instructions and messages with typed parts', () => {
    const it0 = only(interactions(r.events));
    assert.deepEqual(it0.systemInstructions, [{ type: 'text', content: 'You are a weather assistant. Always use the get_weather tool.' }]);
    assert.deepEqual(it0.inputMessages, [
      { role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }] },
      // Structured arguments (as in the spec's own example) become their JSON text.
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_VSPygqKTWdrhaFErNvMV18Yl', name: 'get_weather', arguments: '{"location":"Paris"}' }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_VSPygqKTWdrhaFErNvMV18Yl', response: 'rainy, 57°F' }] },
    ]);
    assert.deepEqual(it0.outputMessages, [
      {
        role: 'assistant',
        parts: [
          { type: 'reasoning', content: 'The tool says rainy and 57°F; answer directly.' },
          { type: 'text', content: 'The weather in Paris is currently rainy with a temperature of 57°F.' },
        ],
        finishReason: 'stop',
      },
    ]);
  });

  it('keeps configured attributes in extra, as text', () => {
    const r2 = normalizer({ keep_attributes: ['server.address', 'server.port', 'absent.key'] }).traces(
      tracesFixture('dialects', 'semconv-current-chat-tool-call.json'),
    );
    assert.deepEqual(only(interactions(r2.events)).extra, { 'server.address': 'api.openai.com', 'server.port': '443' });
  });
});

describe('otel_genai_1_36 (recorded from @opentelemetry/instrumentation-openai)', () => {
  it('reads the chat spans: model, usage, finish reasons, no content on the span', () => {
    const r = normalizer().traces(tracesFixture('dialects', 'semconv-1.36-openai-spans.json'));
    assert.equal(r.received, 2);
    assert.deepEqual(r.dropped, {});
    const [first, second] = interactions(r.events);
    assert.ok(first && second);
    assert.equal(first.dialect, 'otel_genai_1_36');
    assert.equal(first.requestId, 'chatcmpl-9xKq2Lr8');
    assert.equal(first.provider, 'openai');
    assert.equal(first.operation, 'chat');
    assert.equal(first.requestModel, 'gpt-4o-mini');
    assert.equal(first.responseModel, 'gpt-4o-mini-2024-07-18');
    assert.deepEqual(first.params, { temperature: 0.2, maxTokens: 256 });
    assert.deepEqual(first.usage, { inputTokens: 61, outputTokens: 18 });
    assert.deepEqual(first.finishReasons, ['tool_calls']);
    assert.deepEqual(first.inputMessages, []);
    assert.deepEqual(first.outputMessages, []);
    assert.deepEqual(first.resource, { serviceName: 'support-bot', serviceVersion: '1.4.2', environment: 'staging' });
    assert.equal(second.requestId, 'chatcmpl-9xKq3Ab1');
    assert.deepEqual(second.finishReasons, ['stop']);
  });

  it('turns the content log records into one fragment per span, messages in order', () => {
    const r = normalizer().logs(logsFixture('dialects', 'semconv-1.36-openai-content-logs.json'));
    assert.equal(r.received, 8);
    assert.deepEqual(r.dropped, {});
    const [a, b] = fragments(r.events);
    assert.ok(a && b);
    assert.equal(r.events.length, 2);
    assert.equal(a.dialect, 'otel_genai_1_36');
    assert.deepEqual(a.span, { traceId: 'b906cfaf3e3936c0a44e5646d2216290', spanId: '89c0db3de76dda31' });
    assert.equal(a.sequence, 0);
    assert.deepEqual(a.inputMessages, [
      { role: 'system', parts: [{ type: 'text', content: 'You are a support assistant for Acme.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Where is my order A-1042?' }] },
    ]);
    assert.deepEqual(a.outputMessages, [
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_7Yb2', name: 'lookup_order', arguments: '{"order_id":"A-1042"}' }], finishReason: 'tool_calls' },
    ]);
    assert.deepEqual(b.span, { traceId: '30f7c5cce9a55b4242b20937fa033aa2', spanId: 'aef0c37f786b862b' });
    assert.equal(b.sequence, 3);
    assert.deepEqual(b.inputMessages.map((m) => m.role), ['system', 'user', 'assistant', 'tool']);
    assert.deepEqual(b.inputMessages[2]!.parts, [{ type: 'tool_call', id: 'call_7Yb2', name: 'lookup_order', arguments: '{"order_id":"A-1042"}' }]);
    // gen_ai.tool.message { id, content }: the id names the call it answers.
    assert.deepEqual(b.inputMessages[3]!.parts, [{ type: 'tool_call_response', id: 'call_7Yb2', response: '{"status":"shipped","eta":"Friday"}' }]);
    assert.deepEqual(b.outputMessages, [
      { role: 'assistant', parts: [{ type: 'text', content: 'Order A-1042 shipped yesterday and arrives Friday.' }], finishReason: 'stop' },
    ]);
  });
});

describe('otel_genai_event', () => {
  it('reads a spec-shaped operation-details event as a full interaction', () => {
    const r = normalizer().logs(logsFixture('dialects', 'inference-operation-details-event.json'));
    assert.equal(r.received, 1);
    const it0 = only(interactions(r.events));
    assert.equal(it0.dialect, 'otel_genai_event');
    assert.equal(it0.requestId, 'msg_01XFDUDYJgAACzvnptvVoYEL');
    assert.deepEqual(it0.span, { traceId: '7d3c1f0e2b4a59687a6b5c4d3e2f1a0b', spanId: '1a2b3c4d5e6f7081' });
    assert.equal(it0.provider, 'anthropic');
    assert.equal(it0.requestModel, 'claude-sonnet-4-20250514');
    assert.deepEqual(it0.params, { temperature: 0, maxTokens: 1024 });
    assert.deepEqual(it0.usage, { inputTokens: 310, outputTokens: 48 });
    assert.deepEqual(it0.finishReasons, ['end_turn']);
    assert.equal(it0.conversationId, 'claim-8812');
    near(it0.startTimeMs, 1_768_471_205_000, 'time');
    assert.equal(it0.latencyMs, undefined, 'an event has no duration');
    assert.deepEqual(it0.resource, { serviceName: 'claims-assistant', serviceVersion: '0.9.0', environment: 'dev' });
    assert.deepEqual(it0.systemInstructions, [{ type: 'text', content: 'You help adjusters summarize claims.' }]);
    assert.deepEqual(it0.inputMessages, [
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'Summarize claim 8812.' },
          { type: 'other', originalType: 'uri', content: 'https://files.example.com/claims/8812/photo1.jpg' },
        ],
      },
    ]);
    assert.deepEqual(it0.outputMessages, [
      { role: 'assistant', parts: [{ type: 'text', content: 'Rear-end collision, minor bumper damage, no injuries reported.' }], finishReason: 'end_turn' },
    ]);
  });

  it('reads the Responses API halves (input, output) as content for the span that has the rest', () => {
    const spans = normalizer().traces(tracesFixture('dialects', 'openai-responses-api-spans.json'));
    const span = only(interactions(spans.events));
    assert.equal(span.dialect, 'otel_genai_current');
    assert.equal(span.requestId, 'resp_68af01c2');
    // The raw instructions string is one text part.
    assert.deepEqual(span.systemInstructions, [{ type: 'text', content: 'Answer billing questions briefly.' }]);
    assert.deepEqual(span.usage, { inputTokens: 42, outputTokens: 9 });

    const r = normalizer().logs(logsFixture('dialects', 'openai-responses-api-operation-details-logs.json'));
    const [input, output] = fragments(r.events);
    assert.ok(input && output);
    assert.equal(input.dialect, 'otel_genai_event');
    assert.deepEqual(input.span, span.span);
    assert.deepEqual(input.inputMessages, [
      { role: 'system', parts: [{ type: 'text', content: 'Answer billing questions briefly.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'When was my refund issued?' }] },
    ]);
    assert.deepEqual(input.outputMessages, []);
    assert.deepEqual(output.outputMessages, [
      { role: 'assistant', parts: [{ type: 'text', content: 'Your refund was issued on March 3.' }], finishReason: 'stop' },
    ]);
    assert.ok(input.sequence < output.sequence);
  });
});

describe('openllmetry', () => {
  const r = normalizer().traces(tracesFixture('dialects', 'openllmetry-chat.json'));
  const [chat, stream] = interactions(r.events);

  it('drops the workflow span and reads both chat spans', () => {
    assert.equal(r.received, 3);
    assert.deepEqual(r.dropped, { not_genai: 1 });
    assert.ok(chat && stream);
  });

  it('reads indexed prompts, tool calls and completions', () => {
    assert.ok(chat);
    assert.equal(chat.dialect, 'openllmetry');
    assert.equal(chat.requestId, 'chatcmpl-AF1234x');
    assert.equal(chat.provider, 'openai');
    assert.equal(chat.operation, 'chat');
    assert.equal(chat.requestModel, 'gpt-4o');
    assert.equal(chat.responseModel, 'gpt-4o-2024-08-06');
    assert.deepEqual(chat.usage, { inputTokens: 105, outputTokens: 24, totalTokens: 129, cacheReadInputTokens: 0 });
    assert.deepEqual(chat.params, { temperature: 0.5 });
    assert.equal(chat.userId, 'u-9');
    assert.deepEqual(chat.finishReasons, ['stop']);
    assert.deepEqual(chat.inputMessages, [
      { role: 'system', parts: [{ type: 'text', content: 'You are a flight booking assistant.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'When does AF1234 leave?' }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_fl1', name: 'flight_status', arguments: '{"flight": "AF1234"}' }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_fl1', response: '{"departure": "14:05"}' }] },
    ]);
    assert.deepEqual(chat.outputMessages, [
      { role: 'assistant', parts: [{ type: 'text', content: 'Flight AF1234 departs at 14:05.' }], finishReason: 'stop' },
    ]);
  });

  it('reads multimodal prompt content, falls back to the span context, and times the first chunk event', () => {
    assert.ok(stream);
    assert.equal(stream.requestId, '0af7651916cd43dd8448eb211c80319c:3333333333333333');
    assert.equal(stream.responseId, undefined);
    assert.deepEqual(stream.inputMessages, [
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'What is in this image?' },
          { type: 'other', originalType: 'image_url', content: 'https://example.com/cat.png' },
        ],
      },
    ]);
    near(stream.timeToFirstChunkMs, 350, 'first llm.content.completion.chunk event − span start');
  });
});

describe('vercel_ai_sdk', () => {
  it('emits the doGenerate steps, not the ai.generateText wrapper or the tool call', () => {
    const r = normalizer().traces(tracesFixture('dialects', 'vercel-ai-sdk-generate-text.json'));
    assert.equal(r.received, 4);
    assert.deepEqual(r.dropped, { wrapper_span: 1, not_model_call: 1 });
    const [step1, step2] = interactions(r.events);
    assert.ok(step1 && step2);
    assert.equal(r.events.length, 2);

    assert.equal(step1.dialect, 'vercel_ai_sdk');
    assert.equal(step1.requestId, 'chatcmpl-BzX1');
    assert.equal(step1.provider, 'openai.chat');
    assert.equal(step1.operation, 'chat');
    assert.equal(step1.requestModel, 'gpt-4o-mini');
    assert.equal(step1.responseModel, 'gpt-4o-mini-2024-07-18');
    assert.equal(step1.parentSpanId, 'aaaaaaaaaaaaaaa1');
    assert.deepEqual(step1.usage, { inputTokens: 62, outputTokens: 15, totalTokens: 77, reasoningTokens: 0, cacheReadInputTokens: 0 });
    assert.deepEqual(step1.finishReasons, ['tool-calls']);
    assert.equal(step1.userId, 'u-4821');
    assert.equal(step1.sessionId, 'sess-9');
    assert.deepEqual(step1.extra, {
      'ai.telemetry.functionId': 'support-chat',
      'ai.telemetry.metadata.userId': 'u-4821',
      'ai.telemetry.metadata.sessionId': 'sess-9',
      'ai.telemetry.metadata.tenant': 'acme',
    });
    assert.deepEqual(step1.inputMessages, [
      { role: 'system', parts: [{ type: 'text', content: 'You are a helpful travel assistant.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'What is the weather in Berlin?' }] },
    ]);
    assert.deepEqual(step1.outputMessages, [
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_Wb3x', name: 'weather', arguments: '{"city":"Berlin"}' }], finishReason: 'tool-calls' },
    ]);

    assert.equal(step2.requestId, 'chatcmpl-BzX2');
    assert.deepEqual(step2.inputMessages.slice(2), [
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_Wb3x', name: 'weather', arguments: '{"city":"Berlin"}' }] },
      // SDK ≥5 wraps tool output as { type: 'json', value }: the value is the response.
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_Wb3x', response: '{"tempC":18,"sky":"sunny"}' }] },
    ]);
    assert.deepEqual(step2.outputMessages, [
      { role: 'assistant', parts: [{ type: 'text', content: 'It is 18°C and sunny in Berlin.' }], finishReason: 'stop' },
    ]);
  });

  it('reads a doStream span with SDK 4 names: usage, first chunk, response id', () => {
    const r = normalizer().traces(tracesFixture('dialects', 'vercel-ai-sdk-stream-text.json'));
    assert.deepEqual(r.dropped, { wrapper_span: 1 });
    const s = only(interactions(r.events));
    assert.equal(s.dialect, 'vercel_ai_sdk');
    assert.equal(s.requestId, 'msg_01Q7vRk2');
    assert.equal(s.provider, 'anthropic.messages');
    assert.deepEqual(s.usage, { inputTokens: 25, outputTokens: 12 });
    assert.deepEqual(s.params, { temperature: 0.5, maxTokens: 400 });
    assert.equal(s.timeToFirstChunkMs, 287.4);
    assert.deepEqual(s.inputMessages, [{ role: 'user', parts: [{ type: 'text', content: 'Summarize our refund policy in one sentence.' }] }]);
    assert.deepEqual(s.outputMessages, [
      { role: 'assistant', parts: [{ type: 'text', content: 'Refunds are issued within 14 days of a return.' }], finishReason: 'stop' },
    ]);
  });
});

describe('openinference', () => {
  const r = normalizer().traces(tracesFixture('dialects', 'openinference-llm.json'));
  const [described, toolCall, rawOnly] = interactions(r.events);

  it('drops the CHAIN span and reads the LLM spans', () => {
    assert.equal(r.received, 4);
    assert.deepEqual(r.dropped, { not_model_call: 1 });
    assert.ok(described && toolCall && rawOnly);
  });

  it('reads messages with contents, token counts, invocation parameters and the response id from output.value', () => {
    assert.ok(described);
    assert.equal(described.dialect, 'openinference');
    assert.equal(described.requestId, 'chatcmpl-Oi1');
    assert.equal(described.provider, 'openai');
    assert.equal(described.requestModel, 'gpt-4o-mini-2024-07-18');
    assert.deepEqual(described.params, { temperature: 0.7, maxTokens: 300, seed: 7 });
    assert.deepEqual(described.usage, { inputTokens: 120, outputTokens: 14, totalTokens: 134, cacheReadInputTokens: 64 });
    assert.equal(described.userId, 'u-7');
    assert.equal(described.sessionId, 'sess-3');
    assert.deepEqual(described.inputMessages, [
      { role: 'system', parts: [{ type: 'text', content: 'You are an art critic.' }] },
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'Describe this painting.' },
          { type: 'other', originalType: 'image', content: 'https://example.com/starry-night.jpg' },
        ],
      },
    ]);
    assert.deepEqual(described.outputMessages, [{ role: 'assistant', parts: [{ type: 'text', content: 'A swirling night sky over a quiet village.' }] }]);
  });

  it('reads output tool calls', () => {
    assert.ok(toolCall);
    assert.deepEqual(toolCall.outputMessages, [
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_mu1', name: 'find_museum', arguments: '{"painting": "The Starry Night"}' }] },
    ]);
    assert.equal(toolCall.requestId, 'd4cda95b652f4a1592b449d5929fda1b:8e0c63257de34c94');
  });

  it('falls back to input.value / output.value when no messages were recorded', () => {
    assert.ok(rawOnly);
    assert.equal(rawOnly.requestId, 'chatcmpl-Oi3');
    assert.deepEqual(rawOnly.inputMessages, [{ role: 'user', parts: [{ type: 'text', content: 'Say thanks.' }] }]);
    assert.deepEqual(rawOnly.outputMessages, [{ role: 'assistant', parts: [{ type: 'text', content: 'Thank you!' }], finishReason: 'stop' }]);
    assert.deepEqual(rawOnly.finishReasons, ['stop']);
  });
});

describe('legacy_prompt_completion', () => {
  const r = normalizer().traces(tracesFixture('dialects', 'legacy-prompt-completion.json'));
  const [events, plain] = interactions(r.events);

  it('reads gen_ai.content.prompt / completion span events and the old usage names', () => {
    assert.ok(events);
    assert.equal(events.dialect, 'legacy_prompt_completion');
    assert.equal(events.provider, 'cohere');
    assert.equal(events.requestModel, 'command-r');
    assert.deepEqual(events.usage, { inputTokens: 33, outputTokens: 41 });
    assert.equal(events.requestId, 'e5d4c3b2a1f0e9d8c7b6a59483726150:f1e2d3c4b5a69788');
    assert.deepEqual(events.inputMessages, [{ role: 'user', parts: [{ type: 'text', content: "Translate 'good morning' to German." }] }]);
    assert.deepEqual(events.outputMessages, [{ role: 'assistant', parts: [{ type: 'text', content: 'Guten Morgen.' }] }]);
  });

  it('reads plain-text gen_ai.prompt / gen_ai.completion attributes', () => {
    assert.ok(plain);
    assert.equal(plain.dialect, 'legacy_prompt_completion');
    assert.deepEqual(plain.inputMessages, [{ role: 'user', parts: [{ type: 'text', content: 'Write a haiku about autumn.' }] }]);
    assert.equal(plain.outputMessages[0]!.parts[0]!.type, 'text');
  });
});

describe('non-GenAI spans', () => {
  it('are dropped and counted as not_genai', () => {
    const r = normalizer().traces(tracesFixture('dialects', 'non-genai-http-span.json'));
    assert.equal(r.received, 2);
    assert.deepEqual(r.events, []);
    assert.deepEqual(r.dropped, { not_genai: 2 });
  });
});
