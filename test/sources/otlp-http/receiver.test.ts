import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { createGzip, deflateSync, gzipSync } from 'node:zlib';
import { JsonLogsSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { otlpHttpReceiverFactory } from '../../../src/sources/otlp-http';
import { decodeTracesProto } from '../../../src/otlp/proto';
import { decodeLogsProto } from '../../../src/otlp/proto';
import { ERROR_CODES, PermanentError, RetryableError } from '../../../src/pipeline/errors';
import type { ComponentContext } from '../../../src/telemetry';
import { logsJson, logsProtobuf, makeLogRecords, makeSpans, tracesJson, tracesProtobuf } from '../../otlp/sdk-data';
import { decodeStatus } from '../../otlp/pb';
import { FakeConsumer, config, ctx, send, type Reply } from './helpers';

const PB = { 'Content-Type': 'application/x-protobuf' };
const JSON_CT = { 'Content-Type': 'application/json' };

async function withReceiver(
  overrides: Parameters<typeof config>[0],
  fn: (port: number, consumer: FakeConsumer, c: ComponentContext) => Promise<void>,
): Promise<void> {
  const consumer = new FakeConsumer();
  const c = ctx();
  const receiver = otlpHttpReceiverFactory.create(config(overrides), consumer, c);
  await receiver.start();
  try {
    assert.ok(receiver.port > 0);
    await fn(receiver.port, consumer, c);
  } finally {
    await receiver.shutdown();
  }
}

const spansP = makeSpans();
const logsP = makeLogRecords({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' });

function errors(c: ComponentContext, reason: string): Promise<number> {
  return c.metrics.value('feedback_loop_component_errors_total', { component: 'otlp_http', reason });
}

function status(r: Reply): { code: number; message: string } {
  return String(r.headers['content-type']).includes('json') ? (JSON.parse(r.body.toString()) as { code: number; message: string }) : decodeStatus(r.body);
}

test('200: protobuf and JSON bodies of the same spans give the consumer identical TracesData', async () => {
  const spans = await spansP;
  await withReceiver({}, async (port, consumer, c) => {
    const pb = await send(port, { headers: PB, body: tracesProtobuf(spans) });
    assert.equal(pb.status, 200);
    assert.equal(pb.headers['content-type'], 'application/x-protobuf');
    assert.deepEqual(ProtobufTraceSerializer.deserializeResponse(pb.body), {});
    const js = await send(port, { headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: tracesJson(spans) });
    assert.equal(js.status, 200);
    assert.equal(js.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(js.body.toString()), {});
    assert.equal(consumer.traces.length, 2);
    assert.deepEqual(consumer.traces[0], consumer.traces[1]);
    assert.deepEqual(consumer.traces[0], decodeTracesProto(tracesProtobuf(spans)));
    assert.deepEqual(consumer.metas.map((m) => [m.source, m.encoding]), [['otlp_http', 'application/x-protobuf'], ['otlp_http', 'application/json']]);
    assert.equal(await c.metrics.value('feedback_loop_component_received_items_total', { component: 'otlp_http' }), 6);
  });
});

test('200: logs in both encodings, gzip and deflate accepted', async () => {
  const records = await logsP;
  await withReceiver({}, async (port, consumer) => {
    const gz = await send(port, { path: '/v1/logs', headers: { ...PB, 'Content-Encoding': 'gzip' }, body: gzipSync(logsProtobuf(records)) });
    assert.equal(gz.status, 200);
    assert.deepEqual(ProtobufLogsSerializer.deserializeResponse(gz.body), {});
    const js = await send(port, { path: '/v1/logs?x=1', headers: { ...JSON_CT, 'Content-Encoding': 'GZIP' }, body: gzipSync(logsJson(records)) });
    assert.equal(js.status, 200);
    assert.deepEqual(JsonLogsSerializer.deserializeResponse(js.body), {});
    const df = await send(port, { path: '/v1/logs', headers: { ...PB, 'Content-Encoding': 'deflate' }, body: deflateSync(logsProtobuf(records)) });
    assert.equal(df.status, 200);
    assert.equal(consumer.logs.length, 3);
    assert.deepEqual(consumer.logs[0], consumer.logs[1]);
    assert.deepEqual(consumer.logs[0], consumer.logs[2]);
    assert.deepEqual(consumer.logs[0], decodeLogsProto(logsProtobuf(records)));
    assert.equal(consumer.logs[0]!.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.eventName, 'gen_ai.user.message');
  });
});

test('200 with partial_success when the consumer rejects some items', async () => {
  const spans = await spansP;
  await withReceiver({}, async (port, consumer, c) => {
    consumer.result = { accepted: 1, rejected: 2, rejectionMessage: 'not GenAI' };
    const pb = await send(port, { headers: PB, body: tracesProtobuf(spans) });
    assert.equal(pb.status, 200);
    const resp = ProtobufTraceSerializer.deserializeResponse(pb.body);
    assert.equal(Number(resp.partialSuccess?.rejectedSpans), 2);
    assert.equal(resp.partialSuccess?.errorMessage, 'not GenAI');
    const js = await send(port, { headers: JSON_CT, body: tracesJson(spans) });
    assert.deepEqual(JSON.parse(js.body.toString()), { partialSuccess: { rejectedSpans: '2', errorMessage: 'not GenAI' } });
    assert.equal(await errors(c, 'rejected_by_pipeline'), 4);
  });
});

test('400: undecodable bodies get a Status in the request encoding, are counted and dead-lettered without payload', async () => {
  await withReceiver({}, async (port, consumer, c) => {
    const pb = await send(port, { headers: PB, body: Uint8Array.from([0x0a, 0x05, 0x00]) });
    assert.equal(pb.status, 400);
    assert.equal(pb.headers['content-type'], 'application/x-protobuf');
    const st = decodeStatus(pb.body);
    assert.equal(st.code, 3);
    assert.match(st.message, /runs past the end/);
    const js = await send(port, { path: '/v1/logs', headers: JSON_CT, body: '{"resourceLogs": 5}' });
    assert.equal(js.status, 400);
    assert.match(status(js).message, /expected an array/);
    const gz = await send(port, { headers: { ...PB, 'Content-Encoding': 'gzip' }, body: 'not gzip at all' });
    assert.equal(gz.status, 400);
    assert.equal(await errors(c, 'otlp_decode'), 2);
    assert.equal(await errors(c, 'bad_compression'), 1);
    assert.equal(consumer.traces.length + consumer.logs.length, 0);
    assert.deepEqual(consumer.deadLetters.map((d) => d.reason), ['otlp_decode', 'otlp_decode', 'bad_compression']);
    for (const dl of consumer.deadLetters) {
      assert.equal(dl.meta.payload, undefined);
      assert.equal(dl.meta.source, 'otlp_http');
    }
    // Limit violations are 400 too, with their own reason.
    const deep = Uint8Array.from(Buffer.from('{"resourceSpans":[{"resource":{"attributes":[{"key":"a","value":' + '{"arrayValue":{"values":['.repeat(40) + ']}}'.repeat(40) + '}]}}]}'));
    const lim = await send(port, { headers: JSON_CT, body: deep });
    assert.equal(lim.status, 400);
    assert.equal(consumer.deadLetters[3]!.reason, 'otlp_limit');
  });
});

test('404 for other paths, 405 for other methods, 415 for other content types and encodings', async () => {
  await withReceiver({}, async (port, _consumer, c) => {
    assert.equal((await send(port, { path: '/v1/metrics', headers: PB, body: '' })).status, 404);
    assert.equal((await send(port, { path: '/', method: 'GET' })).status, 404);
    const get = await send(port, { method: 'GET' });
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
    const text = await send(port, { headers: { 'Content-Type': 'text/plain' }, body: 'x' });
    assert.equal(text.status, 415);
    assert.match(status(text).message, /Content-Type/);
    assert.equal((await send(port, { body: 'x' })).status, 415);
    const br = await send(port, { headers: { ...PB, 'Content-Encoding': 'br' }, body: 'x' });
    assert.equal(br.status, 415);
    assert.equal(await errors(c, 'unsupported_media_type'), 2);
    assert.equal(await errors(c, 'unsupported_content_encoding'), 1);
  });
});

test('413 by Content-Length, before any body is read', async () => {
  await withReceiver({ max_request_bytes: 1000 }, async (port, consumer) => {
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', agent: false, headers: { ...PB, 'Content-Length': 5000 } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      req.on('error', reject);
      req.flushHeaders(); // headers only: the answer must not wait for the body
    });
    assert.equal(reply.status, 413);
    assert.match(decodeStatus(reply.body).message, /exceeds 1000 bytes/);
    assert.equal(consumer.traces.length, 0);
  });
});

test('413 by streamed size (chunked, no Content-Length)', async () => {
  await withReceiver({ max_request_bytes: 1000 }, async (port, _consumer, c) => {
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', agent: false, headers: PB }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (x: Buffer) => chunks.push(x));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      for (let i = 0; i < 4; i++) req.write(Buffer.alloc(600));
      req.end();
    });
    assert.equal(reply.status, 413);
    assert.equal(await errors(c, 'request_too_large'), 1);
  });
});

test('413 for a gzip bomb: decompression stops at the cap', async () => {
  // 64 MiB of zeros, about 64 KiB compressed: inside max_request_bytes, far past max_decompressed_bytes.
  const gz = createGzip();
  const parts: Buffer[] = [];
  gz.on('data', (c: Buffer) => parts.push(c));
  const done = new Promise((resolve) => gz.on('end', resolve));
  const zeros = Buffer.alloc(1 << 20);
  for (let i = 0; i < 64; i++) gz.write(zeros);
  gz.end();
  await done;
  const bomb = Buffer.concat(parts);
  assert.ok(bomb.length < 1 << 20);
  await withReceiver({ max_request_bytes: '1MiB', max_decompressed_bytes: '1MiB' }, async (port, consumer, c) => {
    const reply = await send(port, { headers: { ...PB, 'Content-Encoding': 'gzip' }, body: bomb });
    assert.equal(reply.status, 413);
    assert.match(decodeStatus(reply.body).message, /after decompression/);
    assert.equal(consumer.traces.length, 0);
    assert.equal(await errors(c, 'decompressed_too_large'), 1);
    // The connection's slot is released: a normal request still goes through.
    assert.equal((await send(port, { headers: PB, body: tracesProtobuf(await spansP) })).status, 200);
  });
});

test('429 with Retry-After past max_concurrent_requests; the held request still succeeds', async () => {
  const spans = await spansP;
  await withReceiver({ max_concurrent_requests: 1, retry_after_seconds: 3 }, async (port, consumer) => {
    let open!: () => void;
    consumer.gate = new Promise((resolve) => (open = resolve));
    const entered = consumer.entered;
    const first = send(port, { headers: PB, body: tracesProtobuf(spans) });
    await entered;
    const second = await send(port, { headers: PB, body: tracesProtobuf(spans) });
    assert.equal(second.status, 429);
    assert.equal(second.headers['retry-after'], '3');
    assert.equal(decodeStatus(second.body).code, 8);
    open();
    assert.equal((await first).status, 200);
  });
});

test('503 with Retry-After when the consumer is not ready or throws a RetryableError', async () => {
  const spans = await spansP;
  await withReceiver({}, async (port, consumer, c) => {
    consumer.isReady = false;
    const notReady = await send(port, { headers: PB, body: tracesProtobuf(spans) });
    assert.equal(notReady.status, 503);
    assert.equal(notReady.headers['retry-after'], '2');
    assert.equal(decodeStatus(notReady.body).code, 14);
    assert.equal(consumer.traces.length, 0);
    consumer.isReady = true;
    consumer.error = new RetryableError(ERROR_CODES.PIPELINE_FULL, 'outbox backlog', 7);
    const full = await send(port, { headers: JSON_CT, body: tracesJson(spans) });
    assert.equal(full.status, 503);
    assert.equal(full.headers['retry-after'], '7');
    assert.deepEqual(status(full), { code: 14, message: 'outbox backlog' });
    assert.equal(await errors(c, 'not_ready'), 1);
    assert.equal(await errors(c, 'pipeline_full'), 3);
  });
});

test('consumer PermanentError → 400, other errors → 500; requests are counted by signal and status', async () => {
  const spans = await spansP;
  await withReceiver({}, async (port, consumer, c) => {
    consumer.error = new PermanentError(ERROR_CODES.REDACTION_FAILED, 'redaction failed closed');
    const perm = await send(port, { headers: PB, body: tracesProtobuf(spans) });
    assert.equal(perm.status, 400);
    assert.deepEqual(decodeStatus(perm.body), { code: 3, message: 'redaction failed closed' });
    consumer.error = new Error('boom');
    const bug = await send(port, { headers: PB, body: tracesProtobuf(spans) });
    assert.equal(bug.status, 500);
    assert.deepEqual(decodeStatus(bug.body), { code: 13, message: 'internal error' }); // no internals leak to clients
    const requests = (labels: Record<string, string>) => c.metrics.value('feedback_loop_otlp_http_requests_total', labels);
    assert.equal(await requests({ signal: 'traces', status: '400' }), 1);
    assert.equal(await requests({ signal: 'traces', status: '500' }), 1);
    assert.equal(await errors(c, 'redaction_failed'), 3);
  });
});

test('a client that disconnects mid-body is counted and frees its slot', async () => {
  await withReceiver({ max_concurrent_requests: 1 }, async (port, consumer, c) => {
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', agent: false, headers: { ...PB, 'Content-Length': 1000 } });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(100), () => setTimeout(() => req.destroy(), 20));
    });
    for (let i = 0; i < 50 && (await errors(c, 'client_aborted')) === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await errors(c, 'client_aborted'), 1);
    assert.equal((await send(port, { headers: PB, body: tracesProtobuf(await spansP) })).status, 200);
    assert.equal(consumer.traces.length, 1);
  });
});

function rawClient(port: number): { socket: ReturnType<typeof connect>; text: () => string; closed: Promise<unknown> } {
  const socket = connect(port, '127.0.0.1');
  const raw: Buffer[] = [];
  socket.on('data', (c: Buffer) => raw.push(c));
  const closed = new Promise((resolve) => socket.on('close', resolve));
  return { socket, text: () => Buffer.concat(raw).toString('latin1'), closed };
}

test('shutdown drains: in-flight requests finish, requests arriving meanwhile get 503, then the port closes', async () => {
  const spans = await spansP;
  const consumer = new FakeConsumer();
  const receiver = otlpHttpReceiverFactory.create(config(), consumer, ctx());
  await receiver.start();
  const port = receiver.port;
  let open!: () => void;
  consumer.gate = new Promise((resolve) => (open = resolve));
  const body = Buffer.from(tracesProtobuf(spans));
  const head = `POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${body.length}\r\n`;
  const a = rawClient(port);
  const b = rawClient(port);
  const entered = consumer.entered;
  a.socket.write(Buffer.concat([Buffer.from(head + '\r\n'), body]));
  await entered;
  // b has begun a request (so the server does not count it idle) but not finished its headers.
  b.socket.write(head);
  await new Promise((resolve) => setTimeout(resolve, 20));
  let stopped = false;
  const stopping = receiver.shutdown().then(() => (stopped = true));
  b.socket.write(Buffer.concat([Buffer.from('\r\n'), body]));
  await b.closed;
  assert.match(b.text(), /^HTTP\/1\.1 503 /);
  assert.match(b.text(), /Retry-After: 2/i);
  assert.equal(stopped, false, 'shutdown waits for the in-flight request');
  open();
  await stopping;
  await a.closed;
  assert.match(a.text(), /^HTTP\/1\.1 200 /);
  assert.match(a.text(), /Connection: close/i);
  assert.equal(consumer.traces.length, 1);
  await assert.rejects(send(port, { headers: PB, body }), /ECONNREFUSED/);
  await receiver.shutdown(); // idempotent
});

test('start rejects clearly when the port is taken; shutdown is safe without start', async () => {
  const a = otlpHttpReceiverFactory.create(config(), new FakeConsumer(), ctx());
  await a.start();
  const b = otlpHttpReceiverFactory.create(config({ endpoint: `127.0.0.1:${a.port}` }), new FakeConsumer(), ctx());
  await assert.rejects(b.start(), /otlp_http: cannot listen on 127\.0\.0\.1:\d+: the address is already in use/);
  await b.shutdown();
  await a.shutdown();
  const never = otlpHttpReceiverFactory.create(config(), new FakeConsumer(), ctx());
  await never.shutdown();
  await assert.rejects(never.start(), /after shutdown/);
});

test('factory: type name and defaults', () => {
  assert.equal(otlpHttpReceiverFactory.type, 'otlp_http');
  const d = otlpHttpReceiverFactory.defaultConfig();
  assert.equal(d.endpoint, '127.0.0.1:4318');
  assert.equal(d.max_request_bytes, 16 * 1024 * 1024);
  assert.equal(d.max_decompressed_bytes, 64 * 1024 * 1024);
  assert.equal(d.request_timeout, 30_000);
  assert.equal(d.max_value_depth, 32);
});
