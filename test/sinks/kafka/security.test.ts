import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaSecurityOptions, kafkaSecuritySchema } from '../../../src/sinks/kafka/client';
import { ConfigError, parseConfig } from '../../../src/config';

const files: Record<string, string> = { '/ca.pem': 'CA-PEM', '/c.pem': 'CERT-PEM', '/k.pem': 'KEY-PEM' };
const read = (p: string) => files[p] ?? assert.fail(`unexpected read of ${p}`);

test('plaintext by default: no ssl, no sasl options', () => {
  assert.deepEqual(kafkaSecurityOptions(kafkaSecuritySchema.parse({}), read), {});
});

test('TLS with the system CAs, or with a CA, a client certificate and a server name', () => {
  assert.deepEqual(kafkaSecurityOptions(kafkaSecuritySchema.parse({ tls: { enabled: true } }), read), { ssl: true });
  const opts = kafkaSecurityOptions(
    kafkaSecuritySchema.parse({ tls: { enabled: true, ca_file: '/ca.pem', cert_file: '/c.pem', key_file: '/k.pem', server_name: 'kafka.internal' } }),
    read,
  );
  assert.deepEqual(opts.ssl, { ca: ['CA-PEM'], cert: 'CERT-PEM', key: 'KEY-PEM', servername: 'kafka.internal' });
});

test('SASL PLAIN and SCRAM map to the client mechanisms', () => {
  for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
    const opts = kafkaSecurityOptions(kafkaSecuritySchema.parse({ sasl: { mechanism, username: 'svc', password: 'pw' } }), read);
    assert.deepEqual(opts.sasl, { mechanism, username: 'svc', password: 'pw' });
  }
});

test('config errors name the key and never echo the password', () => {
  let err: unknown;
  try {
    parseConfig(
      'sinks:\n  file:\n    enabled: false\n  kafka:\n    enabled: true\n    security:\n      tls: { enabled: true, cert_file: /c.pem }\n      sasl:\n        mechanism: gssapi\n        username: svc\n        password: ${env:KAFKA_PW}\n',
      'k.yaml',
      { KAFKA_PW: 'hunter2-secret' },
    );
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError);
  const paths = err.problems.map((p) => p.path);
  assert.ok(paths.includes('sinks.kafka.security.tls.key_file'), paths.join(','));
  assert.ok(paths.includes('sinks.kafka.security.sasl.mechanism'), paths.join(','));
  assert.doesNotMatch(err.message, /hunter2-secret/);
});
