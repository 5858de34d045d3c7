import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type ClientRequest } from 'node:http';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { generate, encodeTraces } from '../../bench/workload';
import { readAvroDir } from '../helpers/avro-files';
import { metricValue, scrape, waitForMetrics } from '../helpers/metrics-scrape';
import { post } from '../helpers/service-process';
import { launch } from '../telemetry/service-launch';
import { makeTestPki, opensslAvailable, sendTls } from '../sources/otlp-http/certs';

// What an SRE relies on, checked on the real CLI process: readiness, a
// SIGTERM drain that loses nothing acknowledged, bearer auth, TLS.

const PB = 'application/x-protobuf';
const TOKEN = 'ops-token-9c1f4e7a2b5d8c3e6f0a1b4c7d2e5f8a';

async function readyz(adminUrl: string): Promise<{ status: number; reason?: string } | undefined> {
  try {
    const r = await fetch(`${adminUrl}/readyz`);
    const body = (await r.json()) as { reason?: string };
    return { status: r.status, reason: body.reason };
  } catch {
    return undefined; // not listening
  }
}

/** Starts a POST whose body is only half sent; `finish()` sends the rest and resolves with the status. */
function halfSent(port: number, body: Uint8Array): { req: ClientRequest; answered: Promise<number>; finish(): void } {
  let resolveStatus!: (s: number) => void;
  let rejectStatus!: (e: Error) => void;
  const answered = new Promise<number>((res, rej) => ((resolveStatus = res), (rejectStatus = rej)));
  const req = request({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', agent: false, headers: { 'Content-Type': PB, 'Content-Length': body.length } }, (res) => {
    res.resume();
    res.on('end', () => resolveStatus(res.statusCode ?? 0));
  });
  req.on('error', rejectStatus);
  const half = Math.floor(body.length / 2);
  req.write(body.subarray(0, half));
  return { req, answered, finish: () => req.end(body.subarray(half)) };
}

test('readiness 503 → 200; SIGTERM drains: in-flight 200, new requests refused, /readyz 503, exit 0, acknowledged records flushed', { timeout: 120_000 }, async (t) => {
  const svc = await launch({
    noWait: true,
    extraYaml: 'join:\n  window: 300ms\n  sweep_interval: 100ms\n',
    // Files stay open (as .tmp) until shutdown: only the drain can make these records readable.
    fileSink: 'roll_interval: 1h',
  });
  try {
    // Readiness while starting: the admin server listens first, so /readyz may be seen saying 503 "starting".
    const seen: { status: number; reason?: string }[] = [];
    const deadline = Date.now() + 20_000;
    for (;;) {
      const r = await readyz(svc.adminUrl);
      if (r) seen.push(r);
      if (r?.status === 200) break;
      assert.ok(Date.now() < deadline && svc.child.exitCode === null, `service did not become ready\n${svc.logs().slice(-2000)}`);
      await new Promise((res) => setTimeout(res, 2));
    }
    const before = seen.slice(0, -1);
    assert.ok(before.every((r) => r.status === 503 && r.reason === 'starting'), `before ready: ${JSON.stringify(before)}`);
    t.diagnostic(`/readyz answered 503 "starting" ${before.length} time(s) before 200`);

    // Auth is off by default: no Authorization header needed.
    const wl = generate({ seed: 5, interactions: 20, feedbackRate: 0.3, textBytes: 300 });
    for (const body of encodeTraces(wl.spans, 'protobuf', 5)) {
      const r = await post(`${svc.otlpUrl}/v1/traces`, body, PB);
      assert.equal(r.status, 200);
      await r.arrayBuffer();
    }
    // Every window closes and its record is handed to the sink, which still holds it in an open file.
    await waitForMetrics(svc.adminUrl, (m) => metricValue(m, 'feedback_loop_join_open_windows') === 0 && metricValue(m, 'feedback_loop_outbox_backlog_records') === 0);
    assert.equal((await readAvroDir(join(svc.outDir, 'labeled_interactions'))).length, 0, 'nothing finished before the drain');

    // A request in flight (half its body sent) when SIGTERM arrives.
    const late = generate({ seed: 6, interactions: 2, textBytes: 300 });
    const inflight = halfSent(svc.otlpPort, encodeTraces(late.spans, 'protobuf', 10)[0]!);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    svc.child.kill('SIGTERM');

    // While it drains: not ready, and new requests are turned away.
    let draining: { status: number; reason?: string } | undefined;
    for (let i = 0; i < 100 && draining?.reason !== 'draining'; i++) {
      draining = await readyz(svc.adminUrl);
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual(draining, { status: 503, reason: 'draining' });
    const refused = await post(`${svc.otlpUrl}/v1/traces`, encodeTraces(late.spans, 'protobuf', 10)[0]!, PB).then(
      (r) => r.status,
      (e: Error) => (e.cause as NodeJS.ErrnoException | undefined)?.code ?? e.message,
    );
    assert.ok(refused === 503 || refused === 'ECONNREFUSED' || refused === 'ECONNRESET', `a new request during drain: ${refused}`);

    inflight.finish();
    assert.equal(await inflight.answered, 200, `the in-flight request completes\n${svc.logs().slice(-1500)}`);
    assert.equal(await svc.exited, 0, `exit code\n${svc.logs().slice(-2000)}`);
    const tookMs = Date.now() - t0;
    assert.ok(tookMs < 20_000, `exited within the grace period (${tookMs} ms)`);

    const records = await readAvroDir<{ request_id: string }>(join(svc.outDir, 'labeled_interactions'));
    const ids = new Set(records.map((r) => r.request_id));
    assert.deepEqual(wl.responseIds.filter((id) => !ids.has(id)), [], 'every acknowledged interaction is in a finished file');
    assert.match(svc.logs(), /shutdown complete/);

    // What the in-flight request brought was acknowledged during the drain: it waits on disk and is emitted after a restart.
    const again = await launch({ dir: svc.dir, extraYaml: 'join:\n  window: 300ms\n  sweep_interval: 100ms\n' });
    await waitForMetrics(again.adminUrl, (m) => metricValue(m, 'feedback_loop_join_open_windows') === 0 && metricValue(m, 'feedback_loop_outbox_backlog_records') === 0);
    assert.equal(await again.kill('SIGTERM'), 0);
    const after = new Set((await readAvroDir<{ request_id: string }>(join(svc.outDir, 'labeled_interactions'))).map((r) => r.request_id));
    assert.deepEqual(late.responseIds.filter((id) => !after.has(id)), [], 'the in-flight request was not lost');
  } finally {
    if (svc.child.exitCode === null) svc.child.kill('SIGKILL');
    rmSync(svc.dir, { recursive: true, force: true });
  }
});

test('bearer auth on the real service: 401 without or with a wrong token, 200 with it; counted; token never logged', { timeout: 60_000 }, async () => {
  const svc = await launch({ otlpHttp: 'auth:\n  bearer_token_env: OTLP_TOKEN', env: { OTLP_TOKEN: TOKEN } });
  try {
    const body = encodeTraces(generate({ seed: 9, interactions: 1 }).spans, 'protobuf', 10)[0]!;
    const url = `${svc.otlpUrl}/v1/traces`;
    const none = await post(url, body, PB);
    assert.equal(none.status, 401);
    assert.match(String(none.headers.get('www-authenticate')), /^Bearer/);
    assert.equal((await post(url, body, PB, { Authorization: `Bearer ${TOKEN.slice(0, -1)}` })).status, 401);
    assert.equal((await post(url, body, PB, { Authorization: `Bearer ${TOKEN}` })).status, 200);
    // Health stays open: auth guards ingest only.
    assert.equal((await fetch(`${svc.adminUrl}/readyz`)).status, 200);
    const m = await scrape(svc.adminUrl);
    assert.equal(metricValue(m, 'feedback_loop_component_errors_total', { component: 'otlp_http', reason: 'auth_missing' }), 1);
    assert.equal(metricValue(m, 'feedback_loop_component_errors_total', { component: 'otlp_http', reason: 'auth_invalid' }), 1);
    assert.equal(metricValue(m, 'feedback_loop_otlp_http_requests_total', { status: '401' }), 2);
    assert.equal(await svc.kill('SIGTERM'), 0);
    assert.ok(!svc.logs().includes(TOKEN.slice(0, 20)), 'no log line holds the token');
  } finally {
    if (svc.child.exitCode === null) svc.child.kill('SIGKILL');
    rmSync(svc.dir, { recursive: true, force: true });
  }
});

test('TLS with a certificate made at test time (openssl), mutual TLS', { timeout: 60_000, skip: opensslAvailable() ? false : 'openssl is not installed' }, async () => {
  const pki = makeTestPki();
  const svc = await launch({
    tls: true,
    otlpHttp: `tls:\n  cert_file: ${pki.serverCert}\n  key_file: ${pki.serverKey}\n  client_ca_file: ${pki.caCert}`,
  });
  try {
    const body = encodeTraces(generate({ seed: 10, interactions: 1 }).spans, 'protobuf', 10)[0]!;
    const headers = { 'Content-Type': PB };
    const client = { ca: pki.pem(pki.caCert), cert: pki.pem(pki.clientCert), key: pki.pem(pki.clientKey) };
    assert.equal((await sendTls(svc.otlpPort, client, { headers, body })).status, 200);
    await assert.rejects(sendTls(svc.otlpPort, { ca: pki.pem(pki.caCert) }, { headers, body }), 'no client certificate: refused');
    await assert.rejects(post(`http://127.0.0.1:${svc.otlpPort}/v1/traces`, body, PB), 'plain HTTP: refused');
    assert.match(svc.logs(), /"tls":true,"mtls":true/);
    assert.equal(await svc.kill('SIGTERM'), 0);
  } finally {
    if (svc.child.exitCode === null) svc.child.kill('SIGKILL');
    rmSync(svc.dir, { recursive: true, force: true });
    rmSync(pki.dir, { recursive: true, force: true });
  }
});
