import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { otlpHttpReceiverFactory } from '../../../src/sources/otlp-http';
import { ConfigError, parseConfig } from '../../../src/config/load';
import type { ComponentContext } from '../../../src/telemetry';
import { makeSpans, tracesProtobuf } from '../../otlp/sdk-data';
import { FakeConsumer, config, ctx, send } from './helpers';
import { makeTestPki, opensslAvailable, sendTls, type TestPki } from './certs';

const skip = opensslAvailable() ? false : 'openssl is not installed';
const PB = { 'Content-Type': 'application/x-protobuf' };
const spansP = makeSpans();
let pkiCache: TestPki | undefined;
const pki = (): TestPki => (pkiCache ??= makeTestPki());
after(() => {
  if (pkiCache) rmSync(pkiCache.dir, { recursive: true, force: true });
});

async function withTlsReceiver(tls: { cert_file: string; key_file: string; client_ca_file?: string }, fn: (port: number, c: ComponentContext, consumer: FakeConsumer) => Promise<void>): Promise<void> {
  const c = ctx();
  const consumer = new FakeConsumer();
  const receiver = otlpHttpReceiverFactory.create(config({ tls }), consumer, c);
  await receiver.start();
  try {
    await fn(receiver.port, c, consumer);
  } finally {
    await receiver.shutdown();
  }
}

test('TLS: HTTPS with a server certificate; plain HTTP to the TLS port fails and is counted', { skip }, async () => {
  const p = pki();
  const body = tracesProtobuf(await spansP);
  await withTlsReceiver({ cert_file: p.serverCert, key_file: p.serverKey }, async (port, c, consumer) => {
    const r = await sendTls(port, { ca: p.pem(p.caCert) }, { headers: PB, body });
    assert.equal(r.status, 200);
    assert.equal(consumer.traces.length, 1);
    await assert.rejects(send(port, { headers: PB, body }), 'plain HTTP gets no OTLP answer');
    await assert.rejects(sendTls(port, { ca: p.pem(p.strangerCert) }, { headers: PB, body }), /self.signed|unable to verify|certificate/i);
    // The handshake error is reported asynchronously on the server side.
    for (let i = 0; i < 50 && (await c.metrics.value('feedback_loop_component_errors_total', { reason: 'tls_handshake_failed' })) === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok((await c.metrics.value('feedback_loop_component_errors_total', { component: 'otlp_http', reason: 'tls_handshake_failed' })) >= 1);
  });
});

test('mutual TLS: a client certificate from the configured CA is required', { skip }, async () => {
  const p = pki();
  const body = tracesProtobuf(await spansP);
  await withTlsReceiver({ cert_file: p.serverCert, key_file: p.serverKey, client_ca_file: p.caCert }, async (port, _c, consumer) => {
    const ok = await sendTls(port, { ca: p.pem(p.caCert), cert: p.pem(p.clientCert), key: p.pem(p.clientKey) }, { headers: PB, body });
    assert.equal(ok.status, 200);
    await assert.rejects(sendTls(port, { ca: p.pem(p.caCert) }, { headers: PB, body }), 'no client certificate');
    await assert.rejects(
      sendTls(port, { ca: p.pem(p.caCert), cert: p.pem(p.strangerCert), key: p.pem(p.strangerKey) }, { headers: PB, body }),
      'a certificate from another CA',
    );
    assert.equal(consumer.traces.length, 1);
  });
});

test('TLS config: a missing file names its key; a non-PEM file or a mismatched key stops start clearly', { skip }, async () => {
  const p = pki();
  assert.throws(
    () => parseConfig(`sources:\n  otlp_http:\n    tls:\n      cert_file: ${p.dir}/nope.crt\n      key_file: ${p.serverKey}\n      client_ca_file: ${p.dir}/nope-ca.crt\n`, 'c.yaml', {}),
    (e: unknown) =>
      e instanceof ConfigError &&
      /sources\.otlp_http\.tls\.cert_file.*certificate file not found/.test(e.message) &&
      /sources\.otlp_http\.tls\.client_ca_file.*client CA file not found/.test(e.message) &&
      !/tls\.key_file/.test(e.message),
  );
  assert.throws(() => parseConfig(`sources:\n  otlp_http:\n    tls:\n      cert_file: ${p.serverCert}\n`, 'c.yaml', {}), /sources\.otlp_http\.tls\.key_file/);
  const cfg = parseConfig(`sources:\n  otlp_http:\n    tls:\n      cert_file: ${p.serverCert}\n      key_file: ${p.serverKey}\n`, 'c.yaml', {});
  assert.equal(cfg.sources.otlp_http.tls?.cert_file, p.serverCert);
  assert.equal(parseConfig('{}', 'c.yaml', {}).sources.otlp_http.tls, undefined, 'plain HTTP by default');

  const junk = join(p.dir, 'junk.pem');
  writeFileSync(junk, 'not a certificate');
  const bad = otlpHttpReceiverFactory.create(config({ tls: { cert_file: junk, key_file: p.serverKey } }), new FakeConsumer(), ctx());
  await assert.rejects(bad.start(), (e: unknown) => e instanceof ConfigError && /tls\.cert_file.*not a PEM file/.test(e.message));
  const mismatch = otlpHttpReceiverFactory.create(config({ tls: { cert_file: p.serverCert, key_file: p.clientKey } }), new FakeConsumer(), ctx());
  await assert.rejects(mismatch.start(), /sources\.otlp_http\.tls: cannot use the certificate and key/);
  const keyText = p.pem(p.clientKey).toString();
  await mismatch.start().catch((e: Error) => assert.ok(!e.message.includes(keyText.slice(40, 80)), 'no key material in the message'));
});
