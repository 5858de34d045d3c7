import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip, gzipSync } from 'node:zlib';
import { cat, hex, kv, len, str, traces } from '../otlp/pb';
import { launch, rssBytes, RssWatcher } from '../telemetry/service-launch';
import { metricValue, scrape } from '../helpers/metrics-scrape';

// The hostile corpus (test/fixtures/hostile, plus big cases generated here)
// replayed against the real service, one request at a time: each gets its
// expected status, the process stays up and healthy, and its resident memory
// stays under RSS_BOUND the whole time (sampled every 20 ms from /proc).

/** The stated bound: the service's peak RSS while taking every case below (default limits). */
const RSS_BOUND = 640 * 1024 * 1024;
const MiB = 1024 * 1024;
/** The default max_request_bytes. */
const OVER_CAP = 16 * MiB;
const FIXTURES = join(__dirname, '../../../test/fixtures/hostile');

interface Case {
  name: string;
  status: number;
  body: () => Promise<Uint8Array> | Uint8Array;
  path?: string;
  contentType?: string;
  encoding?: string;
  /** Send without Content-Length (chunked). */
  chunked?: boolean;
}

interface Answer {
  status: number;
  body: string;
}

/**
 * Posts a body in 1 MiB writes and stops writing once the answer arrives: an
 * early 413/401 may close the connection, and what matters is the answer.
 */
function post(port: number, c: Case, body: Uint8Array): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const headers: Record<string, string | number> = { 'Content-Type': c.contentType ?? 'application/x-protobuf' };
    if (c.encoding) headers['Content-Encoding'] = c.encoding;
    if (!c.chunked) headers['Content-Length'] = body.length;
    const req = request({ host: '127.0.0.1', port, path: c.path ?? '/v1/traces', method: 'POST', headers, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8', 0, 300) }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, body: '' }));
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const closed = new Promise<void>((r) => req.once('close', () => r()));
    const responded = new Promise<void>((r) => req.once('response', () => r()));
    void (async () => {
      // A declared size over the cap is refused from the headers alone; a well-behaved client
      // waits for that answer instead of writing into a connection the server is closing.
      if (!c.chunked && body.length > OVER_CAP) {
        req.flushHeaders();
        await Promise.race([responded, closed, new Promise((r) => setTimeout(r, 5000))]);
      }
      for (let off = 0; off < body.length && !answered && !req.destroyed; off += MiB) {
        if (!req.write(body.subarray(off, off + MiB))) await Promise.race([new Promise<void>((r) => req.once('drain', () => r())), closed]);
      }
      if (!req.destroyed) req.end();
    })();
  });
}

const TRACE = hex('0af7651916cd43dd8448eb211c80319c');
const SPAN = hex('b7ad6b7169203331');
const tinySpan = cat(len(1, TRACE), len(2, SPAN));

function tinySpans(n: number): Uint8Array {
  const one = len(2, tinySpan);
  const out = new Uint8Array(one.length * n);
  for (let i = 0; i < n; i++) out.set(one, i * one.length);
  return len(1, len(2, out));
}

function tinyLogs(n: number): Uint8Array {
  const one = len(2, cat(len(9, TRACE), len(10, SPAN), len(5, str(1, 'x'))));
  const out = new Uint8Array(one.length * n);
  for (let i = 0; i < n; i++) out.set(one, i * one.length);
  return len(1, len(2, out));
}

const bigAttributeSpan = (bytes: number, key = 'gen_ai.input.messages') => traces(cat(len(1, TRACE), len(2, SPAN), str(5, 'chat'), kv(key, str(1, 'x'.repeat(bytes)), 9)));

function bigAttributeJson(bytes: number): Uint8Array {
  const doc = { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', attributes: [{ key: 'gen_ai.input.messages', value: { stringValue: 'x'.repeat(bytes) } }] }] }] }] };
  return Buffer.from(JSON.stringify(doc));
}

function deepJson(depth: number): Uint8Array {
  const head = '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","attributes":[{"key":"deep","value":';
  const open = '{"arrayValue":{"values":['.repeat(depth);
  const close = ']}}'.repeat(depth);
  return Buffer.from(`${head}${open}{"stringValue":"x"}${close}}]}]}]}]}`);
}

/** A gzip stream of `bytes` zero bytes, compressed as it is made (never held whole). */
async function gzipBomb(bytes: number): Promise<Uint8Array> {
  const gz = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on('data', (d: Buffer) => out.push(d));
  const zeros = Buffer.alloc(4 * MiB);
  for (let left = bytes; left > 0; left -= zeros.length) {
    if (!gz.write(left >= zeros.length ? zeros : zeros.subarray(0, left))) await new Promise((r) => gz.once('drain', r));
  }
  await new Promise<void>((r) => gz.end(() => r()));
  return Buffer.concat(out);
}

function genAiSpan(contentBytes: number): Uint8Array {
  const messages = JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'please summarise: ' + 'lorem ipsum '.repeat(Math.ceil(contentBytes / 12)) }] }]);
  return traces(
    cat(
      len(1, TRACE), len(2, hex('00000000000000a1')), str(5, 'chat gpt-4o'),
      kv('gen_ai.provider.name', str(1, 'openai'), 9), kv('gen_ai.request.model', str(1, 'gpt-4o'), 9),
      kv('gen_ai.response.id', str(1, 'chatcmpl-hostile-big'), 9), kv('gen_ai.input.messages', str(1, messages), 9),
    ),
  );
}

interface ManifestEntry {
  file: string;
  status: number;
  encoding?: string;
}

function corpus(): Case[] {
  const manifest = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as { files: ManifestEntry[] };
  return manifest.files.map((e) => ({
    name: e.file,
    status: e.status,
    body: () => readFileSync(join(FIXTURES, e.file)),
    path: e.file.includes('logs') ? '/v1/logs' : '/v1/traces',
    contentType: e.file.endsWith('.json') ? 'application/json' : 'application/x-protobuf',
    encoding: e.encoding,
  }));
}

const GENERATED: Case[] = [
  { name: '100,000 tiny spans (exactly max_items_per_request)', status: 200, body: () => tinySpans(100_000) },
  { name: '100,001 tiny spans', status: 400, body: () => tinySpans(100_001) },
  { name: '100,000 tiny log records', status: 200, path: '/v1/logs', body: () => tinyLogs(100_000) },
  { name: 'one 50 MB attribute, uncompressed (over max_request_bytes)', status: 413, body: () => bigAttributeSpan(50_000_000) },
  { name: 'one 50 MB attribute, chunked without Content-Length', status: 413, chunked: true, body: () => bigAttributeSpan(50_000_000) },
  { name: 'one 50 MB attribute, gzip (under the decompressed cap, over max_attribute_value_bytes)', status: 400, encoding: 'gzip', body: () => gzipSync(bigAttributeSpan(50_000_000)) },
  { name: 'one 50 MB attribute, OTLP/JSON gzip', status: 400, encoding: 'gzip', contentType: 'application/json', body: () => gzipSync(bigAttributeJson(50_000_000)) },
  { name: 'gzip bomb: 1 GiB of zeros in ~1 MB', status: 413, encoding: 'gzip', body: () => gzipBomb(1024 * MiB) },
  { name: 'OTLP/JSON nested 100,000 deep', status: 400, contentType: 'application/json', body: () => deepJson(100_000) },
  { name: '1,025 attributes on one span', status: 400, body: () => traces(cat(len(1, TRACE), len(2, SPAN), ...Array.from({ length: 1025 }, (_, i) => kv(`a${i}`, str(1, 'v'), 9)))) },
  { name: 'a legitimate GenAI span with 3 MiB of message content', status: 200, body: () => genAiSpan(3 * MiB) },
];

test('hostile corpus against a running service: expected statuses, process up, RSS under the bound', { timeout: 300_000 }, async () => {
  const svc = await launch({ extraYaml: 'join:\n  window: 1h\n' });
  const watcher = new RssWatcher(svc.pid);
  const baseline = rssBytes(svc.pid);
  const expectedByStatus = new Map<number, number>();
  const failures: string[] = [];
  try {
    for (const c of [...corpus(), ...GENERATED]) {
      const body = await c.body();
      const answer = await post(svc.otlpPort, c, body).catch((err: Error) => ({ status: -1, body: err.message }));
      if (answer.status !== c.status) failures.push(`${c.name}: expected ${c.status}, got ${answer.status} ${answer.body}`);
      expectedByStatus.set(c.status, (expectedByStatus.get(c.status) ?? 0) + 1);
      assert.equal(svc.child.exitCode, null, `the service is still running after ${c.name}\n${svc.logs().slice(-2000)}`);
      watcher.sample();
      if (process.env['HOSTILE_VERBOSE']) process.stdout.write(`# ${c.name}: ${answer.status}, peak so far ${(watcher.peak / MiB).toFixed(0)} MiB\n`);
    }
    assert.deepEqual(failures, []);
    assert.equal((await fetch(`${svc.adminUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${svc.adminUrl}/readyz`)).status, 200);

    // Counted honestly: every answer shows up under its status.
    const metrics = await scrape(svc.adminUrl);
    for (const [status, n] of expectedByStatus) {
      const got = metricValue(metrics, 'feedback_loop_otlp_http_requests_total', { status: String(status) });
      assert.equal(got, n, `requests answered ${status}`);
    }
    assert.ok(metricValue(metrics, 'feedback_loop_component_errors_total', { component: 'otlp_http', reason: 'decompressed_too_large' }) >= 1);
    assert.ok(metricValue(metrics, 'feedback_loop_component_errors_total', { component: 'otlp_http', reason: 'otlp_limit' }) >= 1);
    assert.ok(metricValue(metrics, 'feedback_loop_process_resident_memory_bytes') < RSS_BOUND, 'the service reports the same bound');
  } finally {
    watcher.stop();
    const code = await svc.kill('SIGTERM');
    const logs = svc.logs();
    rmSync(svc.dir, { recursive: true, force: true });
    assert.equal(code, 0, `clean exit after the corpus\n${logs.slice(-2000)}`);
  }
  assert.ok(watcher.samples > 20, 'RSS was sampled throughout');
  assert.ok(
    watcher.peak < RSS_BOUND,
    `peak RSS ${(watcher.peak / MiB).toFixed(0)} MiB (baseline ${(baseline / MiB).toFixed(0)} MiB) under ${RSS_BOUND / MiB} MiB`,
  );
  // Keep the measured numbers visible in the test output for whoever tunes the bound.
  process.stdout.write(`# hostile corpus: baseline RSS ${(baseline / MiB).toFixed(0)} MiB, peak ${(watcher.peak / MiB).toFixed(0)} MiB, bound ${RSS_BOUND / MiB} MiB\n`);
});
