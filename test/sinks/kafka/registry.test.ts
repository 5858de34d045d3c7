// The schema registry client against a scripted Confluent API (the real
// registry is exercised in test/integration/kafka-sink.test.ts).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FeedbackLoopError, RetryableError } from '../../../src/pipeline/errors';
import { SchemaRegistryClient, type FetchFn } from '../../../src/sinks/kafka/registry';

function registry(answer: (method: string, path: string, body: unknown) => Response | Promise<Response>): { client: SchemaRegistryClient; calls: string[] } {
  const calls: string[] = [];
  const fetchFn: FetchFn = async (url, init) => {
    const path = url.replace('http://reg/apis/ccompat/v7', '');
    calls.push(`${init.method} ${path}`);
    assert.equal((init.headers as Record<string, string>)['accept'], 'application/vnd.schemaregistry.v1+json');
    return answer(init.method!, path, init.body ? JSON.parse(String(init.body)) : undefined);
  };
  return { client: new SchemaRegistryClient({ url: 'http://reg/apis/ccompat/v7/', fetch: fetchFn }), calls };
}

describe('schema registry client', () => {
  it('registers under the subject after a compatibility check, sending the schema text as is', async () => {
    let sent: unknown;
    const { client, calls } = registry((_m, path, body) => {
      if (path.startsWith('/compatibility/')) return Response.json({ is_compatible: true });
      sent = body;
      return Response.json({ id: 12 });
    });
    assert.equal(await client.ensure('t-value', '{"type":"string"}', true), 12);
    assert.deepEqual(calls, ['POST /compatibility/subjects/t-value/versions/latest?verbose=true', 'POST /subjects/t-value/versions']);
    assert.deepEqual(sent, { schema: '{"type":"string"}' });
  });

  it('refuses an incompatible schema with an error naming the subject and the registry’s reasons', async () => {
    const { client, calls } = registry(() => Response.json({ is_compatible: false, messages: ['reader field "x" has no default'] }));
    await assert.rejects(client.ensure('orders.v1-value', '{}', true), (err: unknown) => {
      assert.ok(err instanceof FeedbackLoopError && !err.retryable);
      assert.match(err.message, /subject "orders\.v1-value"/);
      assert.match(err.message, /has no default/);
      return true;
    });
    assert.equal(calls.length, 1, 'nothing registered');
  });

  it('treats 409 on register as incompatible', async () => {
    const { client } = registry((_m, path) =>
      path.startsWith('/compatibility/') ? Response.json({ error_code: 40401 }, { status: 404 }) : Response.json({ error_code: 409, message: 'Schema being registered is incompatible' }, { status: 409 }),
    );
    await assert.rejects(client.ensure('s-value', '{}', true), /not compatible with the latest version of subject "s-value".*incompatible/);
  });

  it('without auto-register only looks the schema up, and refuses when it is not there', async () => {
    const found = registry(() => Response.json({ subject: 's-value', id: 3, version: 1, schema: '{}' }));
    assert.equal(await found.client.ensure('s-value', '{}', false), 3);
    assert.deepEqual(found.calls, ['POST /subjects/s-value']);
    const missing = registry(() => Response.json({ error_code: 40403, message: 'Schema not found' }, { status: 404 }));
    await assert.rejects(missing.client.ensure('s-value', '{}', false), /subject "s-value" does not hold this service's schema/);
  });

  it('network trouble and 5xx are retryable; other 4xx are not', async () => {
    const down = new SchemaRegistryClient({ url: 'http://reg', fetch: async () => Promise.reject(new Error('ECONNREFUSED')) });
    await assert.rejects(down.ensure('s', '{}', true), (e: unknown) => e instanceof RetryableError);
    const busy = registry(() => new Response('overloaded', { status: 503 }));
    await assert.rejects(busy.client.ensure('s', '{}', true), (e: unknown) => e instanceof RetryableError);
    const denied = registry(() => Response.json({ error_code: 40101, message: 'Unauthorized' }, { status: 401 }));
    await assert.rejects(denied.client.ensure('s', '{}', true), (e: unknown) => e instanceof FeedbackLoopError && !e.retryable && /HTTP 401/.test(e.message));
  });

  it('fetches a schema by id', async () => {
    const { client, calls } = registry(() => Response.json({ schema: '{"type":"long"}' }));
    assert.equal(await client.schemaById(9), '{"type":"long"}');
    assert.deepEqual(calls, ['GET /schemas/ids/9']);
  });
});
