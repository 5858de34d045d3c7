import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detect, fake } from './helpers';

/** Asserts exactly these detections, in order. */
function finds(text: string, expected: Array<[string, string]>): void {
  assert.deepEqual(detect(text), expected, text);
}
const none = (text: string) => finds(text, []);

test('email: addresses found, look-alikes not', () => {
  finds('mail jane.doe+news@mail.example.co.uk now', [['email', 'jane.doe+news@mail.example.co.uk']]);
  finds('Kontakt: jürgen.müller@beispiel.de.', [['email', 'jürgen.müller@beispiel.de']]);
  finds('メールはtaro@example.co.jpです', [['email', 'taro@example.co.jp']]);
  none('icon@2x.png react@18.2.0 @maria user@localhost a@b');
  none('git clone git@github.com:acme/repo.git; ssh://git@github.com/acme/repo.git');
});

test('phone: international, North American and national forms; not every digit run', () => {
  for (const p of ['+44 20 7946 0958', '(415) 555-2671', '0049 30 1234567', '+1 415-555-2671', '020 7946 0958', '030/1234567',
    '06 12 34 56 78', '+33 6 12 34 56 78', '+44 (0)20 7946 0958', '8 (495) 123-45-67', '1-800-555-0199', '+14155552671', '(11) 91234-5678', '03-1234-5678']) {
    finds(`reach me at ${p} today`, [['phone', p]]);
  }
  finds('Tel: 5550199', [['phone', '5550199']]);
  none('order 4815162342, 2024-01-15 10:30:00, 1.2.3, score 3-2, ZIP 94105-1234, 15.01.2024, 01/02/2024 10:30');
  none('ISBN 978-3-16-148410-0, lottery 04 12 23 31 42 45, pid 44812, epoch 1717243200');
  // A date right after a phone number is not swallowed by it.
  finds('Tel: 555-0199 01/02/2024', [['phone', '555-0199']]);
});

test('credit_card: Luhn and issuer length, grouped or not', () => {
  finds('card 4111 1111 1111 1111.', [['credit_card', '4111 1111 1111 1111']]);
  finds('amex 3782-822463-10005', [['credit_card', '3782-822463-10005']]);
  finds('mc 5500005555555559', [['credit_card', '5500005555555559']]);
  none('card 4111 1111 1111 1112'); // Luhn fails
  none('fib 2880067194370816120'); // Luhn passes, but no issuer uses 28… with 19 digits
  none('account 11111111111111111111111'); // too long
});

test('iban: mod-97 and the registry length, compact or grouped', () => {
  finds('IBAN DE89 3704 0044 0532 0130 00 bitte', [['iban', 'DE89 3704 0044 0532 0130 00']]);
  finds('to GB82WEST12345698765432.', [['iban', 'GB82WEST12345698765432']]);
  none('IBAN DE89 3704 0044 0532 0130 01'); // check digits wrong
  none('IBAN GB29 NWBK 6016 1331 9268 1'); // one character short
  none('XX12 3456 7890 1234 5678 90'); // no such country
});

test('us_ssn: valid ranges only; bare digits only after "SSN"', () => {
  finds('SSN 123-45-6789', [['us_ssn', '123-45-6789']]);
  finds('ssn: 123456789', [['us_ssn', '123456789']]);
  none('000-12-3456 666-45-6789 912-34-5678 123-00-4567 123-45-0000');
  none('routing 123456789');
});

test('ip_address and mac_address', () => {
  finds('from 192.168.1.10:8080 and 2001:db8::8a2e:370:7334', [['ip_address', '192.168.1.10'], ['ip_address', '2001:db8::8a2e:370:7334']]);
  finds('peer fe80::1ff:fe23:4567:890a.', [['ip_address', 'fe80::1ff:fe23:4567:890a']]);
  finds('hw 00:1A:2B:3C:4D:5E and 00-1a-2b-3c-4d-5e', [['mac_address', '00:1A:2B:3C:4D:5E'], ['mac_address', '00-1a-2b-3c-4d-5e']]);
  none('version 1.2.3.4, v10.0.0.1, 256.1.1.1, 12:30:45, a[1::2], std::vector, localhost:8080');
});

test('url_credentials: the user:password part only', () => {
  finds('postgres://app:s3cr3t@db.internal:5432/app', [['url_credentials', 'app:s3cr3t']]);
  finds('redis://:hunter22@cache:6379', [['url_credentials', ':hunter22']]);
  none('https://example.com/login?next=/a postgres://localhost:5432/app https://user@example.org/');
});

test('vendor keys and tokens', () => {
  const cases: Array<[string, string]> = [
    ['openai_api_key', fake.openai()],
    ['openai_api_key', fake.openaiProject()],
    ['anthropic_api_key', fake.anthropic()],
    ['aws_access_key_id', fake.aws()],
    ['aws_access_key_id', fake.awsSession()],
    ['github_token', fake.github('ghp')],
    ['github_token', fake.github('gho')],
    ['github_token', fake.github('ghs')],
    ['github_token', fake.githubPat()],
    ['slack_token', fake.slack('b')],
    ['slack_token', fake.slack('p')],
    ['stripe_key', fake.stripe('sk_live')],
    ['stripe_key', fake.stripe('rk_live')],
    ['stripe_key', fake.stripe('pk_live')],
    ['google_api_key', fake.google()],
    ['jwt', fake.jwt()],
  ];
  for (const [type, value] of cases) finds(`key="${value}";`, [[type, value]]);
  none('scikit-learn (sk-learn), sk-1234, AKIA1234, ghp_short, xoxb-123, sk_live_REPLACE_ME, AIza…, task-1234567890abcdefghij');
});

test('bearer_token, private_key and name=value secrets', () => {
  const bearer = fake.bearer();
  finds(`Authorization: Bearer ${bearer}\n`, [['bearer_token', bearer]]);
  none('send a Bearer token; Bearer ${TOKEN}; Bearer YOUR_TOKEN_HERE');
  const pem = fake.pem();
  finds(`key:\n${pem}\nend`, [['private_key', pem]]);
  const escaped = fake.pem('PRIVATE KEY', '\\n');
  finds(`{"private_key": "${escaped}\\n"}`, [['private_key', escaped]]);
  none('-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----');
  finds('DB_PASSWORD=s3cr3t!x\n', [['secret', 's3cr3t!x']]);
  finds('password: Hunter22', [['secret', 'Hunter22']]);
  finds('"client_secret": "abc def 123"', [['secret', 'abc def 123']]);
  finds('Mein Passwort ist Sommer2024!', [['secret', 'Sommer2024!']]);
  finds('docker login -u ci -p Zx9kLm2qR7 registry', [['secret', 'Zx9kLm2qR7']]);
  finds('Authorization: Basic dXNlcjpwYXNzd29yZA==', [['secret', 'dXNlcjpwYXNzd29yZA==']]);
  none('password = request.form["password"]; api_key = os.environ["KEY"]; f(api_key=api_key)');
  none('password: ********\ntoken: null\nDB_PASSWORD=${DB_PASSWORD}\nmax_tokens: 4096\ntoken_ttl: 3600');
  none('To reset your password: open Settings. The secret to good prompts is clarity.');
});

test('overlaps: the credential wins, and one detection per span', () => {
  const key = fake.openai();
  finds(`Authorization: Bearer ${key}`, [['openai_api_key', key]]);
  const jwt = fake.jwt();
  finds(`token=${jwt}`, [['jwt', jwt]]);
  finds('ftp://bob:pw9x@files.example.com/', [['url_credentials', 'bob:pw9x']]);
});
