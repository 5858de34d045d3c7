// Deterministic texts dense in near-misses for every detector, for the golden
// detections test (golden.test.ts). The expected detections in
// golden-detections.json were recorded from the regex-based scanners that the
// prescan replaced; the test holds every later version to them. Key-shaped
// values are built from fragments at run time, as in helpers.ts, so no string
// in this folder looks like a live credential.
//
// After an intended change in what is detected, re-record (and review the diff):
//   UPDATE_GOLDEN=1 node --test dist/test/stages/redact/golden.test.js

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const j = (...parts: string[]): string => parts.join('');

export function goldenTexts(count = 1500, seed = 20240601): string[] {
  const r = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const rs = (n: number, alphabet = ALNUM): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
    return s;
  };
  const digits = (n: number): string => rs(n, '0123456789');
  const upperSome = (s: string): string => [...s].map((c) => (r() < 0.3 ? c.toUpperCase() : c)).join('');
  const names = [
    'password', 'passwort', 'passwd', 'passphrase', 'pwd', 'kennwort', 'mot de passe', 'contraseña', 'senha', 'wachtwoord', 'hasło',
    'пароль', 'ПАРОЛЬ', 'парᲂль', 'パスワード', '密码', 'secret', 'api_key', 'api-key', 'apikey', 'access_key', 'token', 'authorization',
    'credentials', 'credential', 'DB_PASSWORD', 'client_secret', 'access_token_expires_in', 'password_file', 'secretary', 'tokens',
    'Bearer', 'bearer', 'BEARER', 'Authorization: Basic', 'Authorization: Bearer',
  ];
  const seps = ['=', ' = ', ': ', ':', ':=', '=>', ' is ', ' ist ', ' lautet ', '：', '是', 'は', ' ', '"', '": "', "='", ' was: ', '\n', ' '];
  const keyPrefixes = [j('sk', '-'), j('sk', '-ant-'), j('sk', '_live_'), j('rk', '_test_'), j('pk', '_live_'), j('gh', 'p_'), j('gh', 'o_'),
    j('github', '_pat_'), j('xo', 'xb-'), j('xa', 'pp-'), j('AK', 'IA'), j('AS', 'IA'), j('AI', 'za'), j('sk', '-proj-'), 'task-', 'xox'];
  const fragments: Array<() => string> = [
    () => pick(names),
    () => upperSome(pick(names)),
    () => pick(seps),
    () => rs(4 + Math.floor(r() * 20)),
    () => rs(4 + Math.floor(r() * 12), 'abcdefgh'),
    () => digits(1 + Math.floor(r() * 19)),
    () => pick([' ', ' ', '  ', '\n', '\t', '.', ',', ';', '-', '/', '(', ')', '+', '@', ':', '::', '"', "'", '`', '_', '#', '\\n', '{', '}', '<', '>', '$', '*']),
    () => `${rs(1 + Math.floor(r() * 8), 'abcdef.')}@${rs(1 + Math.floor(r() * 8), 'abcde-.')}.${pick(['com', 'de', 'png', 'x', 'co.uk', ''])}`,
    () => pick(keyPrefixes) + rs(Math.floor(r() * 50), ALNUM + '-_'),
    () => j('ey', 'J') + rs(Math.floor(r() * 20), ALNUM + '-_') + (r() < 0.7 ? j('.ey', 'J') + rs(Math.floor(r() * 20)) + '.' + rs(Math.floor(r() * 10)) : ''),
    () => pick([j('-----BEGIN RSA ', 'PRIVATE KEY-----'), j('-----END RSA ', 'PRIVATE KEY-----'), '-----BEGIN PUBLIC KEY-----', '-----BEGIN ', '-----']),
    () => pick(['https://', 'postgres://', 'redis://:', 'ftp://', '://']) + rs(Math.floor(r() * 10)) + pick([':', '@', '']) + rs(Math.floor(r() * 10)) + pick(['@', '/', '']),
    () => [1, 2, 3, 4].map(() => digits(1 + Math.floor(r() * 4))).join(pick(['.', '-', ' ', '/', ':'])),
    () =>
      pick([
        '+44 20 7946 0958', '(415) 555-2671', '0049 30 1234567', '4111 1111 1111 1111', '4111111111111111', 'DE89 3704 0044 0532 0130 00',
        'GB82WEST12345698765432', '123-45-6789', 'SSN 123456789', 'tel ', 'Tel: ', 'call me on ', 'Handy ', 'téléphone ', 'телефон ', '电话',
        '192.168.1.10', '2001:db8::8a2e:370:7334', 'fe80::1', '00:1A:2B:3C:4D:5E', '00-1a-2b-3c-4d-5e', 'version 1.2.3.4', 'v10.0.0.1',
        '06 12 34 56 78', '+1 415-555-2671', '8 (495) 123-45-67', '2024-01-15', '15.01.2024', 'INV-2024-0871', '+44 (0)20 7946 0958',
      ]),
    () => pick([' -p ', ' -p', 'docker login -u ci -p ', 'mysql -u root -p', 'psql -p 5432 ', 'login', ' --password ', '--token ']),
    () => pick(['Bearer ', 'bearer\t', 'Authorization: Bearer ', 'BEARER  ']) + rs(10 + Math.floor(r() * 40), ALNUM + '-._~+/='),
    () => j('AK', 'IA') + rs(14 + Math.floor(r() * 4), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'),
    () => j('AI', 'za') + rs(33 + Math.floor(r() * 4), ALNUM + '-_'),
    () => pick(['İ', 'K', 'ſ', 'ᲂ', 'ñ', 'Ñ', 'ł', 'Ł', 'é', '中文', 'ß', '\u0000', '\u007f', '\ud83d\ude00', '\ud800', 'µ', 'Ａ', '１２３', '٣']),
  ];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let s = '';
    const parts = 1 + Math.floor(r() * 25);
    for (let p = 0; p < parts; p++) s += pick(fragments)();
    out.push(s);
  }
  return out;
}
