import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { start } from './fake-model-server';
import type { FakeModelServer } from './fake-model-server';

interface Completion {
  id: string;
  model: string;
  choices: Array<{
    finish_reason: string;
    message: { content: string | null; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }> };
  }>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

async function chat(server: FakeModelServer, body: object): Promise<Completion> {
  const res = await fetch(`${server.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  return (await res.json()) as Completion;
}

const user = (content: string): object => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });

describe('fake model server', () => {
  let server: FakeModelServer;
  before(async () => {
    server = await start({ seed: 'unit' });
  });
  after(async () => {
    await server.stop();
  });

  it('answers with an OpenAI-shaped completion, a chatcmpl id, a snapshot model name and usage', async () => {
    const r = await chat(server, user('Hello, can you help me with my account settings?'));
    assert.match(r.id, /^chatcmpl-[0-9A-Za-z]{29}$/);
    assert.equal(r.model, 'gpt-4o-mini-2024-07-18');
    assert.ok(r.choices[0].message.content);
    assert.ok(r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0);
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  });

  it('gives the same ids for the same seed and request sequence, and different ids otherwise', async () => {
    const a = await start({ seed: 'same' });
    const b = await start({ seed: 'same' });
    const c = await start({ seed: 'other' });
    try {
      const body = user('Where is my order NW-11111?');
      const [ra, rb, rc] = [await chat(a, body), await chat(b, body), await chat(c, body)];
      assert.equal(ra.id, rb.id);
      assert.notEqual(ra.id, rc.id);
      // The same request twice must not repeat the id: it is the join key downstream.
      assert.notEqual((await chat(a, body)).id, ra.id);
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop()]);
    }
  });

  it('calls a matching tool when tools are offered, then answers from the tool result', async () => {
    const tools = [
      { type: 'function', function: { name: 'lookup_order', parameters: { type: 'object', properties: { order_id: { type: 'string' } } } } },
    ];
    const first = await chat(server, { ...user('Where is my order NW-48213?'), tools });
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    const call = first.choices[0].message.tool_calls?.[0];
    assert.equal(call?.function.name, 'lookup_order');
    assert.deepEqual(JSON.parse(call?.function.arguments ?? '{}'), { order_id: 'NW-48213' });

    const second = await chat(server, {
      model: 'gpt-4o-mini',
      tools,
      messages: [
        { role: 'user', content: 'Where is my order NW-48213?' },
        { role: 'assistant', content: null, tool_calls: [{ id: call?.id, type: 'function', function: call?.function }] },
        { role: 'tool', tool_call_id: call?.id, content: '{"status":"in_transit"}' },
      ],
    });
    assert.equal(second.choices[0].finish_reason, 'stop');
    assert.match(second.choices[0].message.content ?? '', /in_transit/);
  });

  it('stops with finish_reason "length" at max_completion_tokens', async () => {
    const r = await chat(server, { ...user('Explain the return policy in detail please.'), max_completion_tokens: 5 });
    assert.equal(r.choices[0].finish_reason, 'length');
    assert.equal(r.usage.completion_tokens, 5);
  });

  it('answers JSON when response_format json_object is asked (valid unless truncated)', async () => {
    let sawValid = false;
    for (const name of ['Jane Doe', 'Marco Rossi', 'Emily Chen', 'Lukas Becker', 'Priya Natarajan']) {
      const r = await chat(server, { ...user(`Extract as JSON: call ${name} at +1 415-555-0100`), response_format: { type: 'json_object' } });
      const choice = r.choices[0];
      if (choice.finish_reason === 'stop') {
        const parsed = JSON.parse(choice.message.content ?? '') as { customer: { name: string } };
        assert.equal(parsed.customer.name, name);
        sawValid = true;
      } else {
        assert.equal(choice.finish_reason, 'length');
        assert.throws(() => JSON.parse(choice.message.content ?? ''));
      }
    }
    assert.ok(sawValid);
  });

  it('streams SSE chunks that add up to the same kind of answer, with a usage chunk when asked', async () => {
    const res = await fetch(`${server.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...user('My router drops Wi-Fi every evening.'), stream: true, stream_options: { include_usage: true } }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = (await res.text()).split('\n\n').filter(Boolean);
    assert.equal(events[events.length - 1], 'data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.replace(/^data: /, '')) as { id: string; choices: Array<{ delta: { content?: string }; finish_reason: string | null }>; usage?: { completion_tokens: number } });
    assert.ok(chunks.every((c) => c.id === chunks[0].id));
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.ok(text.length > 20);
    assert.ok(chunks.some((c) => c.choices[0]?.finish_reason === 'stop' || c.choices[0]?.finish_reason === 'length'));
    assert.ok((chunks[chunks.length - 1].usage?.completion_tokens ?? 0) > 0);
  });

  it('rejects malformed requests with an OpenAI-style error', async () => {
    const res = await fetch(`${server.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"x"}' });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { type: string } };
    assert.equal(body.error.type, 'invalid_request_error');
  });
});
