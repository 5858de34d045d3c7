import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Span } from '../../../src/otlp/types';
import { interactions, mkSpan, normalizer, tracesOf } from './helpers';

// A sanity check, not a benchmark (bench/ has those): normalizing 10,000
// current-dialect spans with realistic message JSON must not take absurdly
// long. The rate is printed; the bound is loose so a slow CI box passes.

const N = 10_000;

function realisticSpan(i: number): Span {
  return mkSpan({
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.request.temperature': 0.3,
    'gen_ai.request.max_tokens': 512,
    'gen_ai.response.id': `chatcmpl-${i}`,
    'gen_ai.response.model': 'gpt-4o-2024-08-06',
    'gen_ai.response.finish_reasons': ['stop'],
    'gen_ai.usage.input_tokens': 512,
    'gen_ai.usage.output_tokens': 87,
    'gen_ai.conversation.id': `conv-${i % 100}`,
    'server.address': 'api.openai.com',
    'server.port': 443,
    'user.id': `u-${i % 1000}`,
    'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'You are a helpful assistant for an online store. Be concise.' }]),
    'gen_ai.input.messages': JSON.stringify([
      { role: 'user', parts: [{ type: 'text', content: `Where is my order A-${i}? I ordered it last week and it has not arrived yet.` }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: `call_${i}`, name: 'lookup_order', arguments: { order_id: `A-${i}` } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: `call_${i}`, response: { status: 'shipped', eta: 'Friday', carrier: 'DHL' } }] },
    ]),
    'gen_ai.output.messages': JSON.stringify([
      { role: 'assistant', parts: [{ type: 'text', content: `Order A-${i} shipped with DHL and should arrive on Friday.` }], finish_reason: 'stop' },
    ]),
  });
}

describe('throughput', () => {
  it(`normalizes ${N} current-dialect spans in reasonable time`, () => {
    const data = tracesOf(Array.from({ length: N }, (_, i) => realisticSpan(i)));
    const n = normalizer();
    n.traces(tracesOf([realisticSpan(0)])); // warm up
    const t0 = process.hrtime.bigint();
    const r = n.traces(data);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const rate = Math.round((N / ms) * 1000);
    console.log(`normalize: ${N} spans in ${ms.toFixed(1)} ms = ${rate} spans/s`);
    assert.equal(interactions(r.events).length, N);
    assert.ok(ms < 20_000, `took ${ms} ms`);
  });
});
