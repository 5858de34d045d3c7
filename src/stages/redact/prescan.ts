// One pass over a string's code units that tells every detector where it could
// match: the runs of ASCII digits (numeric family), where a credential name
// (password, token, пароль…), "bearer" or a vendor key prefix may start, and
// which anchor characters occur at all ('@', ':', "--", "eyJ"…), so detectors
// whose anchor is absent are skipped without looking at the text.
//
// Why one pass: on this workload a JavaScript loop over charCodeAt costs about
// 2 ns a code unit and a RegExp scan about the same, while most strings hold no
// credential name and no digit at all. Running a case-insensitive alternation
// (the secret names), a prefix alternation (vendor keys), /bearer/gi and /\d+/g
// was four such scans per string; this pass replaces them with one, driven by
// a table indexed by (previous code unit, current code unit). Detectors anchored
// on a rare character keep their indexOf, which is far cheaper than any loop.
//
// A candidate is only "may start here": each detector still checks the full
// name or prefix at the position, exactly as its regex did, and keeps its own
// resume rules, so the detections are the same as a direct scan.

/** Anchors seen anywhere in the text (bits of Prescan.features). */
export const F_AT = 1 << 5; // '@'
export const F_COLON = 1 << 6; // ':'
export const F_SCHEME = 1 << 7; // ':/'
export const F_DASH = 1 << 8; // '-'
export const F_DASHES = 1 << 9; // '--'
export const F_FLAG_P = 1 << 10; // '-p'
export const F_JWT = 1 << 11; // 'yJ' (of "eyJ")

// Position bits: at the current index (digits) or at the previous one (pairs).
const P_DIGITS_START = 1;
const P_DIGITS_END = 2;
const P_NAME = 4;
const P_BEARER = 8;
const P_KEY = 16;
const POSITION_BITS = 31;

/**
 * ASCII case folding as a non-Unicode /i RegExp does it, plus the few
 * non-ASCII letters the credential names use. Exactly the code units a
 * case-insensitive regex matches to those letters fold onto them (checked
 * exhaustively in test/stages/redact/prescan.test.ts), so matching with fold()
 * finds what the regex found.
 */
export function fold(c: number): number {
  if (c < 128) return c >= 65 && c <= 90 ? c + 32 : c;
  if (c >= 0x410 && c <= 0x42f) return c + 32; // Cyrillic capitals А–Я
  if (c === 0x1c82) return 0x43e; // ᲂ CYRILLIC SMALL LETTER NARROW O: a regex /о/i matches it
  if (c === 0xd1) return 0xf1; // Ñ
  if (c === 0x141) return 0x142; // Ł
  return c;
}

/**
 * Credential names in the order the former alternation tried them (first
 * match at a position wins; api[_-]?key and credentials? written out). Lower
 * case; compared through fold().
 */
export const SECRET_NAME_LIST: readonly string[] = [
  'password', 'passwort', 'passwd', 'passphrase', 'pwd', 'kennwort', 'mot de passe', 'contraseña', 'contrasena', 'senha',
  'wachtwoord', 'hasło', 'пароль', 'パスワード', '密码', 'secret', 'api_key', 'api-key', 'apikey', 'access_key', 'access-key',
  'accesskey', 'token', 'authorization', 'credentials', 'credential',
];

/** Vendor key prefixes; only their first two characters matter here. */
export const KEY_PREFIX_PAIRS: readonly string[] = ['sk', 'rk', 'pk', 'gh', 'gi', 'xo', 'xa', 'AK', 'AS', 'AB', 'AC', 'AG', 'AI', 'AN', 'AR', 'AP'];

const isAsciiDigit = (c: number): boolean => c >= 48 && c <= 57;

/** PAIR[(prev << 7) | cur] for ASCII prev and cur: position bits and anchor bits. A non-ASCII prev counts as 127. */
const PAIR = new Uint16Array(128 * 128);
(function buildPairs(): void {
  const namePairs = new Set(SECRET_NAME_LIST.filter((n) => n.charCodeAt(0) < 128).map((n) => n.slice(0, 2)));
  const keyPairs = new Set(KEY_PREFIX_PAIRS);
  for (let p = 0; p < 128; p++) {
    for (let c = 0; c < 128; c++) {
      let v = 0;
      const pd = isAsciiDigit(p), cd = isAsciiDigit(c);
      if (cd && !pd) v |= P_DIGITS_START;
      if (pd && !cd) v |= P_DIGITS_END;
      const folded = String.fromCharCode(fold(p), fold(c));
      if (namePairs.has(folded)) v |= P_NAME;
      if (folded === 'be') v |= P_BEARER;
      if (keyPairs.has(String.fromCharCode(p, c))) v |= P_KEY;
      if (c === 64) v |= F_AT;
      if (c === 58) v |= F_COLON;
      if (c === 47 && p === 58) v |= F_SCHEME;
      if (c === 45) v |= F_DASH;
      if (c === 45 && p === 45) v |= F_DASHES;
      if (c === 112 && p === 45) v |= F_FLAG_P;
      if (c === 74 && p === 121) v |= F_JWT;
      PAIR[(p << 7) | c] = v;
    }
  }
})();

/**
 * NAME_THIRDS[pair]: the folded third code units of the names that begin with
 * that ASCII pair (every such name has at least three).
 */
const NAME_THIRDS: Array<number[] | undefined> = new Array<number[] | undefined>(128 * 128).fill(undefined);
(function buildThirds(): void {
  for (const name of SECRET_NAME_LIST) {
    if (name.charCodeAt(0) >= 128 || name.charCodeAt(1) >= 128) continue;
    if (name.length < 3) throw new Error(`name ${name} is too short for the third-character check`);
    for (let p = 0; p < 128; p++) {
      for (let c = 0; c < 128; c++) {
        if (fold(p) !== name.charCodeAt(0) || fold(c) !== name.charCodeAt(1)) continue;
        const thirds = (NAME_THIRDS[(p << 7) | c] ??= []);
        if (!thirds.includes(name.charCodeAt(2))) thirds.push(name.charCodeAt(2));
      }
    }
  }
})();

/** Whether the code unit after an ASCII name pair can be the third of a name starting with it. */
function nameThirdOk(pair: number, next: number): boolean {
  const thirds = NAME_THIRDS[pair];
  if (thirds === undefined) return false;
  const f = fold(next);
  for (let k = 0; k < thirds.length; k++) if (thirds[k] === f) return true;
  return false;
}

/** Positions kept allocated between texts (per list). */
const MAX_KEPT_POSITIONS = 1 << 16;

/** Growable list of positions. */
class Positions {
  at = new Int32Array(64);
  length = 0;
  /** Empties the list; a buffer grown for one huge text is let go rather than kept for every later one. */
  reset(): void {
    this.length = 0;
    if (this.at.length > MAX_KEPT_POSITIONS) this.at = new Int32Array(64);
  }
  push(i: number): void {
    if (this.length === this.at.length) {
      const next = new Int32Array(this.at.length * 2);
      next.set(this.at);
      this.at = next;
    }
    this.at[this.length++] = i;
  }
}

/**
 * What the pass found in one string. Reused from call to call (detection is
 * synchronous and never re-entered), so nothing is allocated for short
 * strings; read it before the next prescan().
 */
export class Prescan {
  features = 0;
  /** Runs of ASCII digits, [digitStart[k], digitEnd[k]), in order. */
  readonly digitStart = new Positions();
  readonly digitEnd = new Positions();
  /** Where a credential name may start, ascending. */
  readonly names = new Positions();
  /** Where "bearer" may start, ascending. */
  readonly bearers = new Positions();
  /** Where a vendor key prefix may start, ascending. */
  readonly keys = new Positions();
}

const shared = new Prescan();
const NON_ASCII_ROW = 127 << 7;
const DIGIT_ROW_0 = 48 << 7;
const DIGIT_ROW_9 = 57 << 7;

export function prescan(text: string): Prescan {
  const r = shared;
  r.digitStart.reset();
  r.digitEnd.reset();
  r.names.reset();
  r.bearers.reset();
  r.keys.reset();
  const n = text.length;
  let features = 0;
  // (previous code unit << 7) for the pair table; a non-ASCII one, and the start of the text, count as 127.
  let prevRow = NON_ASCII_ROW;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      const pair = prevRow | c;
      const v = PAIR[pair]!;
      prevRow = c << 7;
      if (v === 0) continue;
      features |= v;
      if ((v & POSITION_BITS) === 0) continue;
      if (v & P_DIGITS_START) r.digitStart.push(i);
      if (v & P_DIGITS_END) r.digitEnd.push(i);
      // A name needs its third code unit too (every ASCII-led name has one): checking it here keeps
      // most pairs out of the list ("se" of "these", "to", "co" of "could").
      if (v & P_NAME && i + 1 < n && nameThirdOk(pair, text.charCodeAt(i + 1))) r.names.push(i - 1);
      if (v & P_BEARER) r.bearers.push(i - 1);
      if (v & P_KEY) r.keys.push(i - 1);
    } else {
      if (prevRow >= DIGIT_ROW_0 && prevRow <= DIGIT_ROW_9) r.digitEnd.push(i);
      // Names that start with a non-ASCII pair: пароль (п/П then а/А), パスワード, 密码.
      if (i > 0 && (c === 0x430 || c === 0x410 || c === 0x30b9 || c === 0x7801)) {
        const prev = text.charCodeAt(i - 1);
        if (
          ((c === 0x430 || c === 0x410) && (prev === 0x43f || prev === 0x41f)) ||
          (c === 0x30b9 && prev === 0x30d1) ||
          (c === 0x7801 && prev === 0x5bc6)
        ) {
          r.names.push(i - 1);
        }
      }
      prevRow = NON_ASCII_ROW;
    }
  }
  if (prevRow >= DIGIT_ROW_0 && prevRow <= DIGIT_ROW_9) r.digitEnd.push(n);
  r.features = features;
  return r;
}
