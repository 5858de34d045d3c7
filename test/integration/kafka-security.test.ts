// The Kafka security options against a real broker, one broker with a listener
// per kind: SASL/PLAIN and SCRAM-SHA-256 over plaintext, TLS with client
// certificates required (mutual TLS), and SCRAM-SHA-512 over TLS. For each the
// sink authenticates and produces; a wrong password, a missing or foreign
// client certificate, or a broker certificate the sink does not trust is
// refused and leaves the sink not ready.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startKafka, freePort, type KafkaBroker } from '../infra';
import { TOPICS } from '../../src/pipeline/contracts';
import { encodeRecord, labeledRecordToAvro } from '../../src/sinks/avro';
import { kafkaSinkConfigSchema } from '../../src/sinks/kafka/config';
import { KafkaSink } from '../../src/sinks/kafka/kafka-sink';
import { Metrics, silentLogger, systemClock } from '../../src/telemetry';
import { fullLabeledRecord } from '../fixtures/avro/records';
import { readTopics, singleObjectDecoder } from '../sinks/kafka/helpers';
import { makeTestPki, type TestPki } from '../sources/otlp-http/certs';

const USER = 'feedback';
const PASSWORD = 's3cret-pw';
const STORE_PASSWORD = 'keystore-pw';

let kafka: KafkaBroker | undefined;
let pki: TestPki;
const listener = { sasl: '', ssl: '', saslSsl: '' };

type Security = Record<string, unknown>;

function sink(brokers: string, security: Security, prefix: string): KafkaSink {
  return new KafkaSink(
    kafkaSinkConfigSchema.parse({
      enabled: true,
      brokers: [brokers],
      partitions: 1,
      connect_timeout: '5s',
      request_timeout: '5s',
      topics: Object.fromEntries(TOPICS.map((t) => [t, `${prefix}.${t}`])),
      security,
    }),
    { logger: silentLogger(), metrics: new Metrics(), clock: systemClock },
  );
}

const entry = (key: string) => ({
  seq: 1,
  topic: 'labeled_interactions' as const,
  key,
  recordId: `rec-${key}`,
  payload: encodeRecord('labeled_interactions', labeledRecordToAvro(fullLabeledRecord())),
  timeMs: Date.now(),
});

/** Produces one record through `brokers` and reads it back over the plaintext listener. */
async function producesThrough(brokers: string, security: Security, prefix: string): Promise<void> {
  const s = sink(brokers, security, prefix);
  await s.start();
  try {
    await s.write([entry(`${prefix}-1`)]);
    assert.equal(s.durableSeq(), 1);
  } finally {
    await s.shutdown();
  }
  const records = await readTopics(kafka!.brokers, [`${prefix}.labeled_interactions`], singleObjectDecoder(), (rs) => rs.length >= 1, 30_000);
  assert.equal(records[0]!.key, `${prefix}-1`);
}

/** The sink cannot start or write, with an error matching `why`, and is not ready. */
async function refused(brokers: string, security: Security, prefix: string, why: RegExp): Promise<void> {
  const s = sink(brokers, security, prefix);
  await assert.rejects(
    (async () => {
      await s.start();
      await s.write([entry(`${prefix}-x`)]);
    })(),
    (err: Error) => why.test(`${err.message} ${String((err as { cause?: unknown }).cause ?? '')}`),
  );
  assert.equal(s.ready(), false);
  await s.shutdown();
}

describe('Kafka security against a real broker', () => {
  before(
    async () => {
      pki = makeTestPki();
      // The broker's key and certificate as a PKCS#12 keystore; the CA as a PEM truststore.
      const keystore = join(pki.dir, 'server.p12');
      execFileSync('openssl', ['pkcs12', '-export', '-in', pki.serverCert, '-inkey', pki.serverKey, '-out', keystore, '-passout', `pass:${STORE_PASSWORD}`, '-name', 'broker']);
      const [port, controllerPort, saslPort, sslPort, saslSslPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
      listener.sasl = `127.0.0.1:${saslPort}`;
      listener.ssl = `127.0.0.1:${sslPort}`;
      listener.saslSsl = `127.0.0.1:${saslSslPort}`;
      const tlsFor = (name: string, clientAuth: string): Record<string, string> => ({
        [`listener.name.${name}.ssl.keystore.type`]: 'PKCS12',
        [`listener.name.${name}.ssl.keystore.location`]: keystore,
        [`listener.name.${name}.ssl.keystore.password`]: STORE_PASSWORD,
        [`listener.name.${name}.ssl.key.password`]: STORE_PASSWORD,
        [`listener.name.${name}.ssl.truststore.type`]: 'PEM',
        [`listener.name.${name}.ssl.truststore.location`]: pki.caCert,
        [`listener.name.${name}.ssl.client.auth`]: clientAuth,
      });
      const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
      kafka = await startKafka({
        port,
        controllerPort,
        formatArgs: ['--add-scram', `SCRAM-SHA-256=[name=${USER},password=${PASSWORD}]`, '--add-scram', `SCRAM-SHA-512=[name=${USER},password=${PASSWORD}]`],
        properties: {
          listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort},SASL_PLAINTEXT://${listener.sasl},SSL://${listener.ssl},SASL_SSL://${listener.saslSsl}`,
          'advertised.listeners': `PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://${listener.sasl},SSL://${listener.ssl},SASL_SSL://${listener.saslSsl}`,
          'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL',
          'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
          'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-pw" user_admin="admin-pw" user_${USER}="${PASSWORD}";`,
          'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256',
          'listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config': scram,
          'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
          'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': scram,
          ...tlsFor('ssl', 'required'),
          ...tlsFor('sasl_ssl', 'none'),
        },
      });
    },
    { timeout: 20 * 60_000 },
  );
  after(async () => {
    await kafka?.stop();
  });

  it('SASL/PLAIN: authenticates and produces; a wrong password is refused', { timeout: 90_000 }, async () => {
    await producesThrough(listener.sasl, { sasl: { mechanism: 'plain', username: USER, password: PASSWORD } }, 'plain');
    await refused(listener.sasl, { sasl: { mechanism: 'plain', username: USER, password: 'wrong-pw' } }, 'plain-bad', /SASL|[Aa]uthenticat/);
  });

  it('SASL/SCRAM-SHA-256: authenticates and produces; a wrong password is refused', { timeout: 90_000 }, async () => {
    await producesThrough(listener.sasl, { sasl: { mechanism: 'scram-sha-256', username: USER, password: PASSWORD } }, 'scram256');
    await refused(listener.sasl, { sasl: { mechanism: 'scram-sha-256', username: USER, password: 'wrong-pw' } }, 'scram256-bad', /SASL|[Aa]uthenticat/);
  });

  it('mutual TLS: the broker is verified against ca_file and the client certificate is accepted', { timeout: 90_000 }, async () => {
    await producesThrough(listener.ssl, { tls: { enabled: true, ca_file: pki.caCert, cert_file: pki.clientCert, key_file: pki.clientKey } }, 'mtls');
  });

  it('mutual TLS: no client certificate, or one from another CA, is refused', { timeout: 120_000 }, async () => {
    await refused(listener.ssl, { tls: { enabled: true, ca_file: pki.caCert } }, 'mtls-none', /ECONNRESET|closed|certificate|disconnect|Connection/i);
    await refused(listener.ssl, { tls: { enabled: true, ca_file: pki.caCert, cert_file: pki.strangerCert, key_file: pki.strangerKey } }, 'mtls-stranger', /ECONNRESET|closed|certificate|disconnect|Connection/i);
  });

  it('TLS: a broker certificate the sink does not trust is refused (system CAs only)', { timeout: 90_000 }, async () => {
    await refused(listener.ssl, { tls: { enabled: true, cert_file: pki.clientCert, key_file: pki.clientKey } }, 'tls-untrusted', /certificate|self.signed|issuer/i);
  });

  it('SCRAM-SHA-512 over TLS: authenticates and produces', { timeout: 90_000 }, async () => {
    await producesThrough(listener.saslSsl, { tls: { enabled: true, ca_file: pki.caCert }, sasl: { mechanism: 'scram-sha-512', username: USER, password: PASSWORD } }, 'scram512tls');
  });
});
