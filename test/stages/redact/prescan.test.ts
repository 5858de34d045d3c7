// The prescan replaces four regex scans (credential names, vendor key
// prefixes, /bearer/gi, /\d+/g) with one pass plus checks at candidate
// positions. These tests hold it to those regexes, used here as oracles: every
// position a regex matches must be a candidate, and the check at a candidate
// must agree with the regex anchored there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { F_AT, F_COLON, F_DASH, F_DASHES, F_FLAG_P, F_JWT, F_SCHEME, fold, prescan, SECRET_NAME_LIST } from '../../../src/stages/redact/prescan';
import { secretNameAt } from '../../../src/stages/redact/detectors/secrets';
import { compileCustom } from '../../../src/stages/redact/detectors/custom';
import { BUILTIN_TYPES } from '../../../src/stages/redact/entities';
import { createScanner, MIN_DETECTABLE_LENGTH } from '../../../src/stages/redact/scan';

/** The alternation findSecretAssignments used before the prescan. */
const SECRET_NAMES_ORACLE =
  /password|passwort|passwd|passphrase|pwd|kennwort|mot de passe|contraseña|contrasena|senha|wachtwoord|hasło|пароль|パスワード|密码|secret|api[_-]?key|apikey|access[_-]?key|token|authorization|credentials?/iy;
const KEY_PREFIX_ORACLE =
  /github_pat_|sk_live_|rk_live_|pk_live_|sk_test_|rk_test_|pk_test_|sk-ant-|xoxa-|xoxb-|xoxp-|xoxr-|xoxs-|xoxe-|xapp-|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA|ghp_|gho_|ghu_|ghs_|ghr_|AIza|sk-/y;

const anchoredLength = (re: RegExp, text: string, p: number): number => {
  re.lastIndex = p;
  const m = re.exec(text);
  return m ? m[0].length : 0;
};

/** Every UTF-16 code unit once, lone surrogates included. */
const ALL_UNITS = Array.from({ length: 0x10000 }, (_, u) => String.fromCharCode(u)).join('');

test('fold() pairs exactly the code units a case-insensitive regex pairs, for every letter of the names', () => {
  const letters = new Set([...SECRET_NAME_LIST.join(''), ...'bearer']);
  for (const letter of letters) {
    const escaped = letter.replace(/[-[\]{}()*+?.,\\^$|#\s]/g, '\\$&');
    const byRegex = [...ALL_UNITS.matchAll(new RegExp(escaped, 'gi'))].map((m) => m.index);
    const byFold: number[] = [];
    for (let u = 0; u < 0x10000; u++) if (fold(u) === letter.charCodeAt(0)) byFold.push(u);
    assert.deepEqual(byFold, byRegex, `code units matching ${JSON.stringify(letter)}`);
  }
});

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Texts dense in near-misses: names and prefixes in mixed case, cut short, glued together, with look-alike letters. */
function fuzzTexts(count: number): string[] {
  const r = seeded(11);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const words = [
    ...SECRET_NAME_LIST, 'api_key', 'access-key', 'credentials', 'bearer', 'Bearer', 'BEARER', 'beare', 'sk-', 'sk-ant-', 'sk_live_',
    'ghp_', 'github_pat_', 'xoxb-', 'xapp-', 'AKIA', 'AIza', 'ASIA', 'ANVA', 'xox', 'git', 'pass', 'to', 'se', 'pa', 'au', 'cr',
  ];
  const noise = [' ', '-', '_', '.', ':', '@', '/', '://', '--', '-p', 'eyJ', 'yJ', '1', '42', '2024-01-15', 'é', 'ß', 'İ', 'K', 'ſ', 'ᲂ', 'Ñ', 'Ł', 'П', 'А', '０', '٣', '\ud800', '\u0000', '\u007f'];
  const variant = (w: string): string => {
    let s = '';
    for (const ch of w) {
      const x = r();
      if (x < 0.25) s += ch.toUpperCase();
      else if (x < 0.28 && ch === 'о') s += 'ᲂ';
      else s += ch;
    }
    return r() < 0.2 ? s.slice(0, Math.max(1, Math.floor(r() * s.length))) : s;
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let s = '';
    const n = 1 + Math.floor(r() * 12);
    for (let k = 0; k < n; k++) s += r() < 0.6 ? variant(pick(words)) : pick(noise);
    out.push(s);
  }
  return out;
}

test('prescan: every position where a name, key prefix or "bearer" matches is a candidate, and the checks agree with the regexes', () => {
  for (const text of fuzzTexts(4000)) {
    const scan = prescan(text);
    const names = new Set(Array.from(scan.names.at.subarray(0, scan.names.length)));
    const keys = new Set(Array.from(scan.keys.at.subarray(0, scan.keys.length)));
    const bearers = new Set(Array.from(scan.bearers.at.subarray(0, scan.bearers.length)));
    for (let p = 0; p < text.length; p++) {
      const name = anchoredLength(SECRET_NAMES_ORACLE, text, p);
      assert.equal(secretNameAt(text, p), name, `${JSON.stringify(text)} at ${p}`);
      if (name > 0) assert.ok(names.has(p), `name at ${p} of ${JSON.stringify(text)} is a candidate`);
      if (anchoredLength(KEY_PREFIX_ORACLE, text, p) > 0) assert.ok(keys.has(p), `key prefix at ${p} of ${JSON.stringify(text)}`);
      if (anchoredLength(/bearer/iy, text, p) > 0) assert.ok(bearers.has(p), `bearer at ${p} of ${JSON.stringify(text)}`);
    }
  }
});

test('prescan: digit runs are exactly /\\d+/g, and anchors are reported when present', () => {
  const texts = [...fuzzTexts(500), '', '7', 'a1b22c333', '12 34\n5６7', '٣1٣', 'x:/-p--@yJ', '\ud83d\ude001'];
  for (const text of texts) {
    const scan = prescan(text);
    const runs = [...text.matchAll(/\d+/g)].map((m) => [m.index, m.index + m[0].length]);
    const found = Array.from({ length: scan.digitStart.length }, (_, k) => [scan.digitStart.at[k], scan.digitEnd.at[k]]);
    assert.equal(scan.digitEnd.length, scan.digitStart.length);
    assert.deepEqual(found, runs, JSON.stringify(text));
    const has = (bit: number) => (scan.features & bit) !== 0;
    assert.equal(has(F_AT), text.includes('@'));
    assert.equal(has(F_COLON), text.includes(':'));
    assert.equal(has(F_SCHEME), text.includes(':/'));
    assert.equal(has(F_DASH), text.includes('-'));
    assert.equal(has(F_DASHES), text.includes('--'));
    assert.equal(has(F_FLAG_P), text.includes('-p'));
    assert.equal(has(F_JWT), text.includes('yJ'));
  }
});

test('strings shorter than MIN_DETECTABLE_LENGTH hold no built-in detection (the scan skips them)', () => {
  // The same scan with a custom detector that never matches has no shortcut: it must agree.
  const fast = createScanner(new Set(BUILTIN_TYPES), []);
  const never = compileCustom({ name: 'never', pattern: '\\x00{8}', validator: 'none', caseInsensitive: false, secret: false });
  const full = createScanner(new Set(BUILTIN_TYPES), [never]);
  const r = seeded(5);
  const alphabet = ['0', '1', '4', '9', '@', '.', ':', '-', '/', '+', '(', ')', ' ', 'a', 'b', 'c', 'd', 'f', 'A', 'I', 'z', '=', '"', 'p', 'w', '密', '码', 'は', '：'];
  for (let i = 0; i < 200_000; i++) {
    const len = 1 + Math.floor(r() * (MIN_DETECTABLE_LENGTH - 1));
    let s = '';
    for (let k = 0; k < len; k++) s += alphabet[Math.floor(r() * alphabet.length)];
    assert.deepEqual(full.detect(s), [], JSON.stringify(s));
    assert.deepEqual(fast.detect(s), []);
  }
  for (const s of ['a@b.cd', 'abc::d']) assert.equal(fast.detect(s).length, 1, `${s} is found: the bound is tight`);
});
