// The built-in entity types. Each built-in detector finds exactly one type and
// carries the same name, so `detectors.<name>` in config, `operators.<name>`,
// the placeholder `<NAME_1>` and the summary's `entities.<name>` all agree.

export const PII_TYPES = [
  'email',
  'phone',
  'credit_card',
  'iban',
  'us_ssn',
  'ip_address',
  'mac_address',
] as const;

/** Credentials: always dropped or replaced by a placeholder, never hashed or partly kept. */
export const SECRET_TYPES = [
  'private_key',
  'jwt',
  'url_credentials',
  'openai_api_key',
  'anthropic_api_key',
  'aws_access_key_id',
  'github_token',
  'slack_token',
  'stripe_key',
  'google_api_key',
  'bearer_token',
  'secret',
] as const;

export type PiiType = (typeof PII_TYPES)[number];
export type SecretType = (typeof SECRET_TYPES)[number];
export type BuiltinType = PiiType | SecretType;

export const BUILTIN_TYPES: readonly BuiltinType[] = [...SECRET_TYPES, ...PII_TYPES];

const SECRET_SET: ReadonlySet<string> = new Set(SECRET_TYPES);
export function isBuiltinSecret(type: string): boolean {
  return SECRET_SET.has(type);
}

/** One line per detector, for config descriptions and the README. */
export const DETECTOR_DESCRIPTIONS: Record<BuiltinType, string> = {
  email: 'Email addresses (local@domain.tld; file names like icon@2x.png are not emails).',
  phone: 'Phone numbers in international (+44 20 7946 0958, 0049 30 1234567), North American ((415) 555-2671) and national trunk-0 (020 7946 0958) forms; bare digit runs only after a word like "phone" or "Tel".',
  credit_card: 'Payment card numbers: 13–19 digits, optionally grouped by spaces or dashes, issuer digit 2–6, Luhn-valid.',
  iban: 'IBANs: country code, length from the IBAN registry, mod-97 check; compact or grouped by spaces.',
  us_ssn: 'US Social Security numbers written 123-45-6789 or 123 45 6789 (invalid areas 000, 666, 900–999, group 00, serial 0000 excluded); 9 bare digits only after "SSN".',
  ip_address: 'IPv4 (octets 0–255) and IPv6 (full or compressed) addresses.',
  mac_address: 'MAC addresses: six hex pairs separated by ":" or "-".',
  private_key: 'PEM private key blocks (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP), the whole block.',
  jwt: 'JSON Web Tokens (eyJ….eyJ….signature).',
  url_credentials: 'The user:password part of URLs such as postgres://user:pass@host (or a token used as the user).',
  openai_api_key: 'OpenAI API keys: sk-…, sk-proj-…, sk-svcacct-….',
  anthropic_api_key: 'Anthropic API keys: sk-ant-….',
  aws_access_key_id: 'AWS access key ids: AKIA…, ASIA… (20 characters).',
  github_token: 'GitHub tokens: ghp_, gho_, ghu_, ghs_, ghr_, github_pat_.',
  slack_token: 'Slack tokens: xoxa-, xoxb-, xoxp-, xoxr-, xoxs-, xoxe-, xapp-.',
  stripe_key: 'Stripe keys: sk_live_, rk_live_, pk_live_ and their _test_ forms.',
  google_api_key: 'Google API keys: AIza followed by 35 characters.',
  bearer_token: 'The token after "Bearer " (an Authorization header or prose).',
  secret: 'A value assigned to a password/secret/api_key/token-like name: password=…, "client_secret": "…", --password …, Authorization: Basic ….',
};

/**
 * Which detection wins when two overlap: lower first. Credentials before PII
 * (a password inside a URL must be dropped, not read as an email), specific
 * before generic, and custom detectors between the two groups.
 */
export const PRIORITY: Record<BuiltinType, number> = {
  private_key: 0,
  jwt: 1,
  anthropic_api_key: 2,
  openai_api_key: 2,
  aws_access_key_id: 2,
  github_token: 2,
  slack_token: 2,
  stripe_key: 2,
  google_api_key: 2,
  url_credentials: 3,
  bearer_token: 4,
  secret: 5,
  email: 10,
  iban: 11,
  credit_card: 12,
  us_ssn: 13,
  ip_address: 14,
  mac_address: 15,
  phone: 16,
};
export const CUSTOM_SECRET_PRIORITY = 6;
export const CUSTOM_PRIORITY = 7;
