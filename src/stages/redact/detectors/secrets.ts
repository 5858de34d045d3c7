// Credentials. Vendor keys have fixed prefixes and Bearer and name=value have
// keywords: the prescan (prescan.ts) lists where each may start, and the code
// here checks the prefix or keyword at each such position, then reads the
// token or value after it. JWTs and PEM blocks have fixed markers found with
// indexOf. Every scanner resumes after what it has looked at, so each
// position costs a bounded number of steps.

import { PRIORITY, type SecretType } from '../entities';
import { at, charClasses, isAlnum, isAlpha, isKeyChar, isSpace, isUpper, isWord, runEnd } from '../chars';
import { fold, KEY_PREFIX_PAIRS, SECRET_NAME_LIST, type Prescan } from '../prescan';
import type { EnabledSet, Span } from './span';

const MAX_KEY = 1024;
/** Longest value the name=value detector takes for a credential. */
const MAX_VALUE = 512;

interface KeySpec {
  type: SecretType;
  prefixes: string[];
  /** The whole token (prefix included) is a key of this type. */
  accept(token: string, body: string): boolean;
}

const hasDigit = (s: string): boolean => /\d/.test(s);
const hasLetter = (s: string): boolean => /[A-Za-z]/.test(s);
const allOf = (s: string, pred: (c: number) => boolean): boolean => {
  for (let i = 0; i < s.length; i++) if (!pred(s.charCodeAt(i))) return false;
  return true;
};
const isUpperOrDigit = (c: number): boolean => isUpper(c) || (c >= 48 && c <= 57);

const KEY_SPECS: KeySpec[] = [
  { type: 'anthropic_api_key', prefixes: ['sk-ant-'], accept: (_t, b) => b.length >= 20 && hasDigit(b) && hasLetter(b) },
  {
    type: 'openai_api_key',
    prefixes: ['sk-'],
    // Random keys mix digits and letters; "sk-learn" or a slug in prose does not.
    accept: (t, b) => !t.startsWith('sk-ant-') && b.length >= 20 && hasDigit(b) && hasLetter(b) && (/[A-Z]/.test(b) || b.length >= 32),
  },
  {
    type: 'aws_access_key_id',
    prefixes: ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'AGPA', 'AIDA', 'AIPA', 'ANPA', 'ANVA', 'AROA', 'APKA', 'ASCA'],
    accept: (t) => t.length === 20 && allOf(t, isUpperOrDigit),
  },
  { type: 'github_token', prefixes: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], accept: (_t, b) => b.length >= 30 && b.length <= 255 && allOf(b, isAlnum) },
  { type: 'github_token', prefixes: ['github_pat_'], accept: (_t, b) => b.length >= 40 && allOf(b, isWord) },
  {
    type: 'slack_token',
    prefixes: ['xoxa-', 'xoxb-', 'xoxp-', 'xoxr-', 'xoxs-', 'xoxe-', 'xapp-'],
    accept: (_t, b) => b.length >= 10 && hasDigit(b),
  },
  {
    type: 'stripe_key',
    prefixes: ['sk_live_', 'rk_live_', 'pk_live_', 'sk_test_', 'rk_test_', 'pk_test_'],
    accept: (_t, b) => b.length >= 16 && allOf(b, isAlnum) && hasDigit(b) && hasLetter(b),
  },
  { type: 'google_api_key', prefixes: ['AIza'], accept: (t) => t.length === 39 },
];

/** Every vendor prefix, longest first so "sk-ant-" is tried before "sk-", with the spec it belongs to. */
const PREFIXES = KEY_SPECS.flatMap((spec) => spec.prefixes.map((prefix) => ({ prefix, spec }))).sort((x, y) => y.prefix.length - x.prefix.length);
/**
 * The same, grouped by their first two characters (the prescan's candidates; all ASCII), longest first
 * within a group, indexed by first << 7 | second.
 */
const PREFIXES_BY_PAIR: Array<Array<{ prefix: string; spec: KeySpec }> | undefined> = new Array(128 * 128).fill(undefined);
for (const x of PREFIXES) {
  const pair = (x.prefix.charCodeAt(0) << 7) | x.prefix.charCodeAt(1);
  (PREFIXES_BY_PAIR[pair] ??= []).push(x);
}
for (const pair of KEY_PREFIX_PAIRS) {
  if (!PREFIXES_BY_PAIR[(pair.charCodeAt(0) << 7) | pair.charCodeAt(1)]) throw new Error(`prescan pair ${pair} has no key prefix`);
}
for (const x of PREFIXES) {
  if (!KEY_PREFIX_PAIRS.includes(x.prefix.slice(0, 2))) throw new Error(`key prefix ${x.prefix} is missing from the prescan pairs`);
}

/**
 * Vendor keys at the prescan's candidates. Same as scanning for the leftmost
 * prefix from where the last token ended: a key counts only where no key
 * character precedes it, and a token, once looked at, is skipped whole.
 */
export function findApiKeys(text: string, enabled: EnabledSet, out: Span[], scan: Prescan): void {
  const cand = scan.keys;
  let from = 0;
  for (let k = 0; k < cand.length; k++) {
    const p = cand.at[k]!;
    if (p < from) continue;
    // Candidates are ASCII pairs, so the index stays in range.
    const group = PREFIXES_BY_PAIR[(text.charCodeAt(p) << 7) | text.charCodeAt(p + 1)];
    let found: { prefix: string; spec: KeySpec } | undefined;
    if (group) for (const x of group) if (text.startsWith(x.prefix, p)) { found = x; break; }
    if (!found) continue;
    const { prefix, spec } = found;
    if (isKeyChar(at(text, p - 1))) {
      from = p + prefix.length; // inside a longer token (task-…, mask_live_…)
      continue;
    }
    const e = runEnd(text, p, isKeyChar, MAX_KEY + 1);
    const token = text.slice(p, e);
    if (enabled.has(spec.type) && e - p <= MAX_KEY && spec.accept(token, token.slice(prefix.length))) {
      out.push({ start: p, end: e, type: spec.type, priority: PRIORITY[spec.type] });
    }
    from = e; // the token is consumed: no prefix inside it can start a key
  }
}

const isB64Url = (c: number): boolean => isAlnum(c) || c === 45 || c === 95;

/** header.payload.signature, header and payload base64url JSON objects (so both start "ey"). */
export function findJwts(text: string, out: Span[]): void {
  let p = text.indexOf('eyJ');
  while (p >= 0) {
    let next = p + 3;
    if (!isB64Url(at(text, p - 1))) {
      const e1 = runEnd(text, p, isB64Url, 8192);
      next = Math.max(next, e1);
      if (e1 - p >= 10 && text.charCodeAt(e1) === 46 && text.startsWith('ey', e1 + 1)) {
        const e2 = runEnd(text, e1 + 1, isB64Url, 65536);
        if (e2 - e1 - 1 >= 10 && text.charCodeAt(e2) === 46) {
          const e3 = runEnd(text, e2 + 1, isB64Url, 8192);
          if (!isB64Url(at(text, e3))) {
            out.push({ start: p, end: e3, type: 'jwt', priority: PRIORITY.jwt });
            next = e3;
          }
        }
      }
    }
    p = text.indexOf('eyJ', next);
  }
}

/** Characters of a PEM body and its headers, also when newlines arrive escaped as "\n". */
const isPemBody = (c: number): boolean => isAlnum(c) || isSpace(c) || c === 43 || c === 47 || c === 61 || c === 92 || c === 58 || c === 44 || c === 45;

/** -----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY-----, the whole block; to the end of the body if END is missing. */
export function findPrivateKeys(text: string, out: Span[]): void {
  const BEGIN = '-----BEGIN ';
  let noEnd = false; // once END is absent after some point it is absent after every later one: search once
  let p = text.indexOf(BEGIN);
  while (p >= 0) {
    const labelEnd = text.indexOf('-----', p + BEGIN.length);
    if (labelEnd < 0) return;
    let next = labelEnd + 5;
    const label = text.slice(p + BEGIN.length, labelEnd);
    if (labelEnd - p <= 80 && /PRIVATE KEY(?: BLOCK)?$/.test(label)) {
      const endAt = noEnd ? -1 : text.indexOf('-----END ', labelEnd + 5);
      let e: number;
      if (endAt >= 0) {
        const close = text.indexOf('-----', endAt + 9);
        e = close >= 0 && close - endAt <= 90 ? close + 5 : endAt + 9;
      } else {
        noEnd = true;
        e = runEnd(text, labelEnd + 5, isPemBody);
      }
      out.push({ start: p, end: e, type: 'private_key', priority: PRIORITY.private_key });
      next = e;
    }
    p = text.indexOf(BEGIN, next);
  }
}

/** RFC 6750 b64token characters. */
const isTokenChar = (c: number): boolean =>
  isAlnum(c) || c === 45 || c === 46 || c === 95 || c === 126 || c === 43 || c === 47 || c === 61;

/** "bearer" in any ASCII case at p (what /bearer/i matches). */
function bearerAt(text: string, p: number): boolean {
  if (p + 6 > text.length) return false;
  for (let k = 0; k < 6; k++) if (fold(text.charCodeAt(p + k)) !== BEARER.charCodeAt(k)) return false;
  return true;
}
const BEARER = 'bearer';

/** At the prescan's candidates, in order, resuming after each token like a /bearer/gi scan did. */
export function findBearerTokens(text: string, out: Span[], scan: Prescan): void {
  const cand = scan.bearers;
  let from = 0;
  for (let c = 0; c < cand.length; c++) {
    const p = cand.at[c]!;
    if (p < from || !bearerAt(text, p)) continue;
    from = p + 6;
    if (isAlpha(at(text, p - 1))) continue;
    const sp = runEnd(text, p + 6, isBlank, 4);
    if (sp === p + 6) continue;
    const e = runEnd(text, sp, isTokenChar, 8193);
    const token = text.slice(sp, e);
    const k = charClasses(token);
    if (token.length >= 16 && token.length <= 8192 && (k.digit > 0 || (k.upper > 0 && k.lower > 0))) {
      out.push({ start: sp, end: e, type: 'bearer_token', priority: PRIORITY.bearer_token });
    }
    from = Math.max(from, e);
  }
}

// ── name = value ─────────────────────────────────────────────────────────────

/**
 * Names that announce a credential (prescan.ts SECRET_NAME_LIST) as folded
 * code units, grouped by their first two, in list order: at one position the
 * first that matches wins, as in the alternation they replace. Each group also
 * lists the third code units its names allow, so most candidates are turned
 * down after one more comparison.
 */
interface NameGroup {
  thirds: number[];
  names: number[][];
}
const pairKey = (a: number, b: number): number => a * 0x10000 + b;
const NAME_GROUPS = new Map<number, NameGroup>();
for (const name of SECRET_NAME_LIST) {
  const codes = Array.from({ length: name.length }, (_, k) => name.charCodeAt(k));
  const key = pairKey(codes[0]!, codes[1]!);
  let group = NAME_GROUPS.get(key);
  if (!group) NAME_GROUPS.set(key, (group = { thirds: [], names: [] }));
  group.names.push(codes);
  // A two-letter name (密码) matches whatever follows: its group's thirds are just [-1].
  if (codes.length === 2) group.thirds = [-1];
  else if (group.thirds[0] !== -1 && !group.thirds.includes(codes[2]!)) group.thirds.push(codes[2]!);
}
/** The same, indexed by (first << 7 | second) for ASCII pairs, either case. */
const ASCII_NAME_GROUPS: Array<NameGroup | undefined> = Array.from({ length: 128 * 128 }, (_, i) =>
  NAME_GROUPS.get(pairKey(fold(i >> 7), fold(i & 127))),
);

/** Length of the credential name starting at p, or 0: what a case-insensitive alternation of the names matches there. */
export function secretNameAt(text: string, p: number): number {
  if (p < 0 || p + 2 > text.length) return 0;
  const c0 = text.charCodeAt(p), c1 = text.charCodeAt(p + 1);
  const group = c0 < 128 && c1 < 128 ? ASCII_NAME_GROUPS[(c0 << 7) | c1] : NAME_GROUPS.get(pairKey(fold(c0), fold(c1)));
  if (group === undefined) return 0;
  const thirds = group.thirds;
  if (thirds[0] !== -1) {
    if (p + 2 >= text.length) return 0;
    const c2 = fold(text.charCodeAt(p + 2));
    let k = 0;
    while (k < thirds.length && thirds[k] !== c2) k++;
    if (k === thirds.length) return 0;
  }
  next: for (const name of group.names) {
    if (p + name.length > text.length) continue;
    for (let k = 2; k < name.length; k++) if (fold(text.charCodeAt(p + k)) !== name[k]) continue next;
    return name.length;
  }
  return 0;
}

/** A name with one of these parts describes the credential (its length, expiry, URL), not its value. */
const METADATA_PARTS = new Set([
  'count', 'limit', 'len', 'length', 'type', 'name', 'id', 'url', 'uri', 'path', 'file', 'dir', 'env', 'var',
  'expiry', 'expires', 'expiration', 'expire', 'exp', 'ttl', 'usage', 'hint', 'policy', 'reset', 'min', 'max',
  'size', 'field', 'label', 'prompt', 'endpoint', 'header', 'param', 'placeholder', 'required', 'rotation',
  'manager', 'store', 'ref', 'format', 'in', 'at', 'version', 'provider', 'strength', 'changed', 'updated',
]);
const PLACEHOLDER_VALUES = new Set([
  'null', 'none', 'nil', 'undefined', 'true', 'false', 'redacted', 'masked', 'hidden', 'required', 'optional',
  'string', 'str', 'secret', 'password', 'token', 'changeme', 'example', 'xxx', 'todo', 'empty', 'n/a',
]);
/** Parts of a value that mark it as a stand-in: your-token, YOUR_API_KEY, example-secret, xxxx. */
const PLACEHOLDER_PARTS = ['your', 'example', 'placeholder', 'changeme', 'replace', 'xxxx', 'dummy', 'insert'];
/** Words between a name and its value in prose: "my password is …", "Passwort ist …". */
const PROSE_VERBS = new Set(['is', 'ist', 'est', 'es', 'é', 'era', 'was', 'lautet', 'is:']);
const AUTH_SCHEMES = new Set(['basic', 'token', 'digest', 'apikey']);
/** Stops an unquoted value. */
const isValueStop = (c: number): boolean =>
  isSpace(c) || c === 44 || c === 59 || c === 34 || c === 39 || c === 96 || c === 41 || c === 125 || c === 93 || c === 60 || c === 62;

const isValueChar = (c: number): boolean => !isValueStop(c);
const isBlank = (c: number): boolean => c === 32 || c === 9;
const isNotSpace = (c: number): boolean => !isSpace(c);
/** Characters continuing a name: DB_PASSWORD_FILE, api.key.id, access-token-ttl. */
const isNameChar = (c: number): boolean => isWord(c) || c === 46 || c === 45;

function looksLikeCodeReference(v: string): boolean {
  // os.environ[ , settings.SECRET_KEY , get_password( : an expression, not a literal.
  if (/[([]$/.test(v) || v.includes('(')) return true;
  const parts = v.split('.');
  return parts.length > 1 && parts.every((p) => /^[A-Za-z_$][\w$]*$/.test(p.slice(0, 64)) && p.length <= 64);
}

function allSameChar(v: string): boolean {
  for (let i = 1; i < v.length; i++) if (v.charCodeAt(i) !== v.charCodeAt(0)) return false;
  return true;
}

function plausibleValue(v: string, sep: 'assign' | 'colon' | 'prose', spacedAssign: boolean, quoted: boolean): boolean {
  if (v.length < 4 || v.length > 512) return false;
  // $VAR, ${VAR}, <your-key>, {{secret}}, %s, ***, /path, ~/path: references and masks, not values.
  if ('$<{%*[(/~#'.includes(v[0]!)) return false;
  const lower = v.toLowerCase();
  if (PLACEHOLDER_VALUES.has(lower) || PLACEHOLDER_PARTS.some((p) => lower.includes(p)) || allSameChar(v)) return false;
  if (!quoted && looksLikeCodeReference(v)) return false;
  // `password = user_password`, `f(api_key=api_key)`: an unquoted run of letters and underscores is a
  // variable in code far more often than a credential, which would almost always contain a digit.
  if (!quoted && (sep === 'assign' || spacedAssign) && /^[A-Za-z_]+$/.test(v.slice(0, 128))) return false;
  const k = charClasses(v);
  const classes = (k.upper > 0 ? 1 : 0) + (k.lower > 0 ? 1 : 0) + (k.digit > 0 ? 1 : 0) + (k.other > 0 ? 1 : 0);
  // Prose ("my password is …") and unquoted "Name: value" lines need a value that looks made up, not a word.
  if (sep === 'prose') return k.digit > 0 && v.length >= 6 && classes >= 2;
  if (sep === 'colon' && !quoted) return v.length >= 6 && (classes >= 2 || v.length >= 16);
  return true;
}

/**
 * Names at the prescan's candidates, leftmost first; `from` is where the next
 * name may start (after the last name, or after the value taken), as a global
 * regex's lastIndex was.
 */
export function findSecretAssignments(text: string, out: Span[], scan: Prescan): void {
  const cand = scan.names;
  let from = 0;
  for (let ci = 0; ci < cand.length; ci++) {
    const p = cand.at[ci]!;
    if (p < from) continue;
    const nameLength = secretNameAt(text, p);
    if (nameLength === 0) continue;
    from = p + nameLength;
    let i = from;
    const cli = text.startsWith('--', p - 2);
    // A longer name: DB_PASSWORD_FILE, client_secret, access_token_expires_in.
    if ('_.-'.includes(text[i] ?? ' ') && isWord(at(text, i + 1))) {
      const e = runEnd(text, i, isNameChar, 40);
      const parts = text.slice(i, e).toLowerCase().split(/[_.-]/);
      if (parts.some((x) => METADATA_PARTS.has(x))) continue;
      i = e;
    } else if (isWord(at(text, i))) continue; // tokens, secretary, passwordless
    if (text[i] === '"' || text[i] === "'") i++;
    const beforeSep = i;
    i = runEnd(text, i, isBlank, 3);
    let sep: 'assign' | 'colon' | 'prose';
    let spacedAssign = false;
    const c = text[i];
    if (c === '=' || (c === ':' && text[i + 1] === '=')) {
      sep = 'assign';
      spacedAssign = i > beforeSep;
      i += c === ':' ? 2 : text[i + 1] === '>' ? 2 : 1;
    } else if (c === ':' || c === '：') {
      sep = 'colon';
      i++;
    } else if (c === '是' || c === 'は') {
      sep = 'prose';
      i++;
    } else if (i > beforeSep) {
      const w = runEnd(text, i, isNotSpace, 8);
      const word = text.slice(i, w).toLowerCase();
      if (PROSE_VERBS.has(word)) {
        sep = 'prose';
        i = w;
      } else if (cli) sep = 'assign';
      else continue;
    } else continue;
    const afterSep = i;
    i = runEnd(text, i, isBlank, 3);
    if (sep === 'prose' && i === afterSep && text[afterSep - 1] !== '是' && text[afterSep - 1] !== 'は' && text[afterSep - 1] !== ':') continue;
    let vs = i;
    let ve: number;
    let quoted = false;
    const q = text[i];
    if (q === '"' || q === "'" || q === '`') {
      vs = i + 1;
      // Bounded: a quoted value may contain spaces, so names inside it are still checked one by one.
      ve = runEnd(text, vs, (x) => x !== q.charCodeAt(0) && x !== 10, MAX_VALUE + 1);
      if (text[ve] !== q || ve - vs > MAX_VALUE) continue;
      quoted = true;
    } else {
      ve = runEnd(text, vs, isValueChar);
      if (ve - vs > MAX_VALUE) {
        // Too long to be a credential. The run has no spaces or quotes, so a name further inside it would
        // get a value ending at the same place: only names near its end can still succeed. Skip ahead.
        from = Math.max(from, ve - MAX_VALUE - 64);
        continue;
      }
    }
    // "my password is Summer2024." — the full stop ends the sentence ('!' and '?' may well be part of it).
    if (!quoted && sep === 'prose' && text.charCodeAt(ve - 1) === 46 && ve - vs > 6) ve--;
    let value = text.slice(vs, ve);
    if (value.toLowerCase() === 'bearer') continue; // the Bearer detector takes the token
    if (AUTH_SCHEMES.has(value.toLowerCase()) && text[ve] === ' ') {
      // Authorization: Basic dXNlcjpwYXNz — the credential is the word after the scheme.
      vs = ve + 1;
      ve = runEnd(text, vs, isValueChar, 513);
      value = text.slice(vs, ve);
      if (value.length < 8) continue;
      sep = 'assign';
    }
    if (!plausibleValue(value, sep, spacedAssign, quoted)) continue;
    out.push({ start: vs, end: ve, type: 'secret', priority: PRIORITY.secret });
    from = Math.max(from, ve);
  }
}

/**
 * `docker login -u ci -p VALUE`, `mysql -u root -pVALUE …`: a password flag with no
 * name to anchor on. Only after a login-like command on the same line, where -p
 * cannot mean a port or a path.
 */
export function findLoginPasswordFlags(text: string, out: Span[]): void {
  let p = indexOfFlag(text, 0);
  while (p >= 0) {
    // Only the 80 characters before, cut at a line break: a bounded look-back keeps this linear.
    let before = text.slice(Math.max(0, p - 80), p).toLowerCase();
    before = before.slice(before.lastIndexOf('\n') + 1);
    if (/\b(login|mysql|mysqldump|psql|mongo|mongosh|redis-cli|sshpass)\b/.test(before)) {
      let vs = p + 3;
      if (text[vs] === ' ') vs++;
      else if (!before.includes('mysql')) vs = -1; // -pSECRET glued: only mysql takes that form
      if (vs > 0) {
        const ve = runEnd(text, vs, isValueChar, MAX_VALUE + 1);
        const value = text.slice(vs, ve);
        if (ve - vs <= MAX_VALUE && plausibleValue(value, 'assign', false, false) && !/^\d+$/.test(value)) {
          out.push({ start: vs, end: ve, type: 'secret', priority: PRIORITY.secret });
        }
        p = indexOfFlag(text, Math.max(ve, p + 3));
        continue;
      }
    }
    p = indexOfFlag(text, p + 3);
  }
}

/** text.indexOf(' -p', from), searching for "-p": a search led by a space stops at every word. */
function indexOfFlag(text: string, from: number): number {
  let q = text.indexOf('-p', from + 1);
  while (q >= 0 && text.charCodeAt(q - 1) !== 32) q = text.indexOf('-p', q + 1);
  return q < 0 ? -1 : q - 1;
}
