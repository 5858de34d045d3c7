// Numbers that are PII: payment cards, IBANs, US SSNs, IPv4 addresses and phone
// numbers. The prescan splits the text into runs of ASCII digits ("groups"); each
// detector then looks at a bounded number of consecutive groups and the one to
// three separator characters between them. Every group is the start of at most
// one bounded attempt per detector, so the whole family is linear in the text.

import { IBAN_LENGTHS, ibanValid, luhnValid, ssnValid } from '../checksums';
import { PRIORITY } from '../entities';
import { at, isAlnum, isDigit, isUpper, isWord } from '../chars';
import type { Prescan } from '../prescan';
import type { EnabledSet, Span } from './span';
import { PHONE_WORDS, SSN_WORDS, VERSION_WORDS, precededByWord } from './context-words';

const MAX_GAP = 3;
/** Digit groups whose scratch space is kept between texts. */
const MAX_KEPT_GROUPS = 1 << 14;

/** Separators allowed between the digit groups of one phone number. */
const PHONE_GAPS = new Set([' ', '-', '.', '/', ' - ', ' / ', ') ', ')', ' (', '(', ')-', ') -', '-(', ' ( ']);
/** Which of - . / a phone gap uses (bit flags); a number may use spaces and brackets plus at most one of them. */
const sepKind = (g: string): number => (g.includes('-') ? 1 : 0) | (g.includes('.') ? 2 : 0) | (g.includes('/') ? 4 : 0);

/** A separator of at most MAX_GAP ASCII code units as one number (length, then 7 bits a code unit); -1 if any is not ASCII. */
function gapCode(text: string, a: number, b: number): number {
  let code = b - a;
  for (let i = a, shift = 2; i < b; i++, shift += 7) {
    const c = text.charCodeAt(i);
    if (c >= 128) return -1;
    code |= c << shift;
  }
  return code;
}
/** sepKind of each phone gap by gapCode: looked up without making a string of the separator. */
const PHONE_GAP_KINDS = new Map([...PHONE_GAPS].map((g) => [gapCode(g, 0, g.length), sepKind(g)]));


/**
 * Card networks fix the length for their issuer prefixes (IIN ranges): a Luhn-valid
 * 19-digit number starting with 28 is no card, whatever its checksum says.
 */
function issuerLengthOk(pan: string): boolean {
  const n = pan.length;
  const p2 = Number(pan.slice(0, 2));
  const p4 = Number(pan.slice(0, 4));
  switch (pan[0]) {
    case '2':
      return p4 >= 2221 && p4 <= 2720 && n === 16; // Mastercard 2-series
    case '3':
      if (p2 === 34 || p2 === 37) return n === 15; // American Express
      if (p2 === 36 || p2 === 38 || p2 === 39 || (p4 >= 3000 && p4 <= 3059)) return n === 14 || n === 16; // Diners
      return p4 >= 3528 && p4 <= 3589 && n >= 16 && n <= 19; // JCB
    case '4':
      return n === 13 || n === 16 || n === 19; // Visa
    case '5':
      if (p2 >= 51 && p2 <= 55) return n === 16; // Mastercard
      return p2 === 50 || p2 >= 56; // Maestro: 12–19
    case '6':
      return n >= 16 && n <= 19; // Discover, UnionPay, Maestro
    default:
      return false;
  }
}

/** Joining characters for leftOk/rightOk, as bit flags. */
const J_DOT = 1;
const J_DASH = 2;
const J_SLASH = 4;
const joinBit = (c: number): number => (c === 46 ? J_DOT : c === 45 ? J_DASH : c === 47 ? J_SLASH : 0);

/**
 * The numeric detectors over one text's digit groups. One instance is reused
 * for every call (detection is synchronous and never re-entered), so a call
 * allocates nothing but the separator strings it looks at.
 *
 * gs/ge are the prescan's buffers: only indexes 0..G-1 are this text's groups,
 * and every read below is guarded to stay within them.
 */
class NumericScan {
  private text = '';
  private gs: Int32Array = new Int32Array(0);
  private ge: Int32Array = new Int32Array(0);
  private G = 0;
  /** gaps[k]: the separator between group k and k+1, or null if there is none or it is longer than MAX_GAP. */
  private gaps: Array<string | null> = [];
  private reach = new Int32Array(64);
  private phoneGapKinds = new Int8Array(64);
  private readonly digitsTo: number[] = new Array<number>(9).fill(0);
  private readonly minAfterFirst: number[] = new Array<number>(9).fill(0);
  private readonly trunkTo: boolean[] = new Array<boolean>(9).fill(false);
  /** Where the phone candidate under test starts (its "+" or "(" included), and whether a phone word precedes it (undefined: not looked up yet). */
  private phoneStart = 0;
  private context: boolean | undefined = undefined;

  run(text: string, enabled: EnabledSet, out: Span[], scan: Prescan): void {
    if (scan.digitStart.length === 0) return;
    try {
      this.scan(text, enabled, out, scan);
    } finally {
      this.text = ''; // not kept past the call, whatever happens
    }
  }

  private scan(text: string, enabled: EnabledSet, out: Span[], scan: Prescan): void {
    const G = scan.digitStart.length;
    this.text = text;
    this.gs = scan.digitStart.at;
    this.ge = scan.digitEnd.at;
    this.G = G;
    const gs = this.gs, ge = this.ge;
    // Entries past G are stale and never read: gap() checks the index.
    if (this.gaps.length > MAX_KEPT_GROUPS && G <= MAX_KEPT_GROUPS) {
      // Buffers grown for one huge text are let go rather than kept for every later one.
      this.gaps = [];
      this.reach = new Int32Array(64);
      this.phoneGapKinds = new Int8Array(64);
    }
    const gaps = this.gaps;
    // phoneGapKinds[k]: sepKind of gap k if it may join a phone number (PHONE_GAPS), else -1.
    if (this.phoneGapKinds.length < G) this.phoneGapKinds = new Int8Array(Math.max(G, this.phoneGapKinds.length * 2));
    const kinds = this.phoneGapKinds;
    for (let k = 0; k < G; k++) {
      const short = k + 1 < G && gs[k + 1]! - ge[k]! <= MAX_GAP;
      gaps[k] = short ? text.slice(ge[k]!, gs[k + 1]!) : null;
      kinds[k] = short ? (PHONE_GAP_KINDS.get(gapCode(text, ge[k]!, gs[k + 1]!)) ?? -1) : -1;
    }
    // reach[k]: the digits in groups k, k+1, … as long as the separators between them are short. No card
    // (13+ digits) or phone number (7+) starting at k can hold more, so most groups in prose are
    // passed over without trying each detector.
    if (this.reach.length < G) this.reach = new Int32Array(Math.max(G, this.reach.length * 2));
    const reach = this.reach;
    for (let k = G - 1; k >= 0; k--) reach[k] = this.len(k) + (gaps[k] !== null ? reach[k + 1]! : 0);

    if (enabled !== this.enabled) this.enable(enabled);
    const { wantIp, wantCard, wantSsn, wantPhone } = this;
    let k = 0;
    while (k < G) {
      if (reach[k]! < 7 && !this.mayBeIpv4OrSsn(k)) {
        k++;
        continue;
      }
      let next = -1;
      let type = '';
      if (wantIp && (next = this.ipv4At(k)) > 0) type = 'ip_address';
      else if (wantCard && (next = this.cardAt(k)) > 0) type = 'credit_card';
      else if (wantSsn && (next = this.ssnAt(k)) > 0) type = 'us_ssn';
      else if (wantPhone && (next = this.phoneAt(k)) > 0) type = 'phone';
      if (next > 0) {
        let start = gs[k]!;
        if (type === 'phone' && (text[start - 1] === '+' || (text[start - 1] === '(' && (this.gap(k) ?? '').startsWith(')')))) start--;
        out.push({ start, end: ge[next - 1]!, type, priority: PRIORITY[type as 'phone'] });
        k = next;
      } else k++;
    }

    if (this.wantIban) findIbans(text, gs, ge, G, out);
  }

  /** Which detectors are on, looked up once per enabled set rather than on every call. */
  private enabled: EnabledSet | null = null;
  private wantIp = false;
  private wantCard = false;
  private wantSsn = false;
  private wantPhone = false;
  private wantIban = false;
  private enable(enabled: EnabledSet): void {
    this.enabled = enabled;
    this.wantIp = enabled.has('ip_address');
    this.wantCard = enabled.has('credit_card');
    this.wantSsn = enabled.has('us_ssn');
    this.wantPhone = enabled.has('phone');
    this.wantIban = enabled.has('iban');
  }

  /** What ipv4At and ssnAt require before anything else (a short group followed by '.', or the lengths an SSN has). */
  private mayBeIpv4OrSsn(k: number): boolean {
    const n = this.len(k);
    return n === 9 || (n === 3 && k + 2 < this.G) || (n <= 3 && k + 3 < this.G && this.gaps[k] === '.');
  }

  private len(k: number): number {
    return this.ge[k]! - this.gs[k]!;
  }

  private gap(k: number): string | null {
    return k >= 0 && k < this.G ? this.gaps[k]! : null;
  }

  /** The number group k spells (called for groups of at most three digits). */
  private groupValue(k: number): number {
    let v = 0;
    for (let i = this.gs[k]!; i < this.ge[k]!; i++) v = v * 10 + this.text.charCodeAt(i) - 48;
    return v;
  }

  private digitsOf(k: number, e: number): string {
    let s = '';
    for (let x = k; x <= e; x++) s += this.text.slice(this.gs[x]!, this.ge[x]!);
    return s;
  }

  /** Not glued to a word, nor continuing a number through a joining character ("1.2" "1-2"). */
  private leftOk(pos: number, joins: number): boolean {
    const text = this.text;
    const c = at(text, pos - 1);
    if (c < 0) return true;
    if (isWord(c)) return false;
    return !((joinBit(c) & joins) !== 0 && isDigit(at(text, pos - 2)));
  }

  private rightOk(pos: number, joins: number): boolean {
    const text = this.text;
    const c = at(text, pos);
    if (c < 0) return true;
    if (isWord(c)) return false;
    return !((joinBit(c) & joins) !== 0 && isDigit(at(text, pos + 1)));
  }

  private ipv4At(k: number): number {
    const { text, gs, ge } = this;
    if (k + 3 >= this.G) return -1;
    for (let x = k; x < k + 4; x++) {
      if (this.len(x) > 3 || this.groupValue(x) > 255) return -1;
      if (x < k + 3 && this.gap(x) !== '.') return -1;
    }
    if (!this.leftOk(gs[k]!, J_DOT) || !this.rightOk(ge[k + 3]!, J_DOT)) return -1;
    // "version 1.2.3.4" is a version, not an address.
    if (VERSION_WORDS.test(text.slice(Math.max(0, gs[k]! - 12), gs[k]!).toLowerCase())) return -1;
    return k + 4;
  }

  private cardAt(k: number): number {
    const { text, gs, ge } = this;
    const first = text.charCodeAt(gs[k]!) - 48;
    if (first < 2 || first > 6 || !this.leftOk(gs[k]!, J_DASH | J_DOT)) return -1;
    let e = k;
    let total = this.len(k);
    let sep: string | null = null;
    while (total < 19) {
      const g = this.gap(e);
      if ((g !== ' ' && g !== '-') || (sep !== null && g !== sep)) break;
      if (total + this.len(e + 1) > 19) break;
      sep = g;
      e++;
      total += this.len(e);
    }
    if (total < 13) return -1; // every candidate below has at most `total` digits
    for (; e >= k; e--) {
      let d = 0;
      let shaped = e === k || this.len(k) === 4;
      for (let x = k; x <= e; x++) {
        d += this.len(x);
        if (x > k && (this.len(x) < 3 || this.len(x) > 6)) shaped = false;
      }
      if (d >= 13 && d <= 19 && shaped && this.rightOk(ge[e]!, J_DASH | J_DOT)) {
        const pan = this.digitsOf(k, e);
        if (issuerLengthOk(pan) && luhnValid(pan)) return e + 1;
      }
    }
    return -1;
  }

  private ssnAt(k: number): number {
    const { text, gs, ge } = this;
    const any = J_DASH | J_DOT | J_SLASH;
    if (this.len(k) === 9 && this.leftOk(gs[k]!, any) && this.rightOk(ge[k]!, any) && precededByWord(text, gs[k]!, SSN_WORDS, 24)) {
      const d = text.slice(gs[k]!, ge[k]!);
      return ssnValid(d.slice(0, 3), d.slice(3, 5), d.slice(5)) ? k + 1 : -1;
    }
    if (k + 2 >= this.G || this.len(k) !== 3 || this.len(k + 1) !== 2 || this.len(k + 2) !== 4) return -1;
    const g1 = this.gap(k), g2 = this.gap(k + 1);
    if (g1 !== g2 || (g1 !== '-' && g1 !== ' ')) return -1;
    if (!this.leftOk(gs[k]!, any) || !this.rightOk(ge[k + 2]!, any)) return -1;
    const ok = ssnValid(text.slice(gs[k]!, ge[k]!), text.slice(gs[k + 1]!, ge[k + 1]!), text.slice(gs[k + 2]!, ge[k + 2]!));
    return ok ? k + 3 : -1;
  }

  private phoneAt(k: number): number {
    const { text, gs, ge, digitsTo, minAfterFirst, trunkTo } = this;
    const any = J_DASH | J_DOT | J_SLASH;
    let start = gs[k]!;
    const prev = at(text, start - 1);
    const plus = prev === 43; // '+'
    const paren = prev === 40 && (this.gap(k) ?? '').startsWith(')'); // '(' … ')'
    if (plus || paren) start--;
    if (plus && (isWord(at(text, start - 1)) || at(text, start - 1) === 43)) return -1;
    if (!this.leftOk(start, any)) return -1;
    // Collect the groups a phone number could span, with running digit counts, the
    // shortest later group and whether a "(0)" trunk group occurs, so each candidate
    // end is then judged in constant time.
    let e = k;
    let total = this.len(k);
    digitsTo[0] = total;
    minAfterFirst[0] = Infinity;
    trunkTo[0] = false;
    // Separators of incompatible kinds ("555-0199 01/02/2024") or a date inside end the
    // candidate: both only get worse as it grows, so stop extending there.
    let kinds = 0;
    while (e - k < 8) {
      // gap(e) is a phone gap (so also e + 1 < G) exactly when its kind is not -1.
      const kind = e < this.G ? this.phoneGapKinds[e]! : -1;
      if (kind < 0 || total + this.len(e + 1) > 17) break;
      const more = kinds | kind;
      if (more !== 0 && more !== 1 && more !== 2 && more !== 4) break;
      if (e + 1 - k >= 2 && this.dateShaped(e - 1, e + 1, false)) break;
      kinds = more;
      e++;
      total += this.len(e);
      const i = e - k;
      digitsTo[i] = total;
      minAfterFirst[i] = Math.min(minAfterFirst[i - 1]!, this.len(e));
      // "+44 (0)20 …": the national trunk 0 written in brackets.
      trunkTo[i] =
        trunkTo[i - 1]! || (this.len(e) === 1 && text.charCodeAt(gs[e]! - 1) === 40 && at(text, ge[e]!) === 41 && text.charCodeAt(gs[e]!) === 48);
    }
    // Every form phoneShaped accepts has at least 7 digits, and no candidate below has more than `total`.
    if (total < 7) return -1;
    // Whether a word like "phone" precedes depends only on the start: looked up once, and only if needed.
    this.phoneStart = start;
    this.context = undefined;
    for (; e >= k; e--) {
      const i = e - k;
      if (e > k && !this.phoneTailOk(e)) continue;
      if (this.rightOk(ge[e]!, any) && this.phoneShaped(k, e, digitsTo[i]!, minAfterFirst[i]!, trunkTo[i]!, plus, paren)) return e + 1;
    }
    return -1;
  }

  private hasContext(): boolean {
    return (this.context ??= precededByWord(this.text, this.phoneStart, PHONE_WORDS, 24));
  }

  /** "7946 0958 06": a short group tacked on after a space is the next number, not part of this one. */
  private phoneTailOk(e: number): boolean {
    return !(this.gap(e - 1) === ' ' && this.len(e) <= 2 && this.len(e - 1) >= 3);
  }

  /** A date in groups k..k+2; `whole`: the candidate is exactly those three groups (then 01/02/24 counts too). */
  private dateShaped(k: number, e: number, whole = true): boolean {
    if (e - k < 2) return false;
    const a = this.len(k), b = this.len(k + 1), c = this.len(k + 2);
    const g1 = this.gap(k), g2 = this.gap(k + 1);
    if (g1 !== g2 || g1 === null || !'-./'.includes(g1)) return false;
    if (a <= 2 && b <= 2 && c === 4) return true; // 15.01.2024 01/02/2024
    if (a === 4 && b <= 2 && c <= 2) return true; // 2024-01-15
    return whole && e - k === 2 && a <= 2 && b <= 2 && c <= 2; // 01/02/24
  }

  private maxLenFrom(k: number, e: number): number {
    let m = 0;
    for (let x = k; x <= e; x++) m = Math.max(m, this.len(x));
    return m;
  }

  private phoneShaped(k: number, e: number, d: number, minLen: number, trunkGroup: boolean, plus: boolean, paren: boolean): boolean {
    const { text, gs } = this;
    const d0 = text.charCodeAt(gs[k]!), d1 = at(text, gs[k]! + 1);
    const groups = e - k + 1;
    if (plus) {
      const national = d - (trunkGroup ? 1 : 0);
      if (d0 === 48 || national < 8 || national > 15) return false;
      return groups > 1 || d >= 10;
    }
    if (d0 === 48 && d1 === 48) {
      // 0049 30 1234567: international prefix 00, then country code and number.
      // After the country code the national trunk 0 is dropped: "0044 0532 …" is not a phone number.
      if (groups > 1 && this.len(k) >= 3 && text.charCodeAt(gs[k + 1]!) === 48) return false;
      return groups > 1 && d >= 11 && d <= 17 && at(text, gs[k]! + 2) !== 48;
    }
    if (paren) {
      // (415) 555-2671, (030) 1234567, (11) 91234-5678
      return groups > 1 && this.len(k) >= 2 && this.len(k) <= 5 && d >= 9 && d <= 12 && minLen >= 2;
    }
    // 8 (495) 123-45-67, 1 (800) 555-0199: a trunk or country digit before a bracketed area code.
    if (this.len(k) === 1 && (this.gap(k) === ' (' || this.gap(k) === '(') && groups >= 3 && d >= 10 && d <= 13 && minLen >= 2) return true;
    // North American 415-555-2671 / 415.555.2671 / 1-800-555-0199, separators consistent.
    let a = k;
    if (this.len(k) === 1 && d0 === 49 && e - k === 3) a = k + 1;
    if (e - a === 2 && this.len(a) === 3 && this.len(a + 1) === 3 && this.len(a + 2) === 4) {
      const g = this.gap(a + 1);
      const area = text.charCodeAt(gs[a]!), exch = text.charCodeAt(gs[a + 1]!);
      if (g !== null && g.length === 1 && '-. '.includes(g) && this.gap(a) === g && (a === k || this.gap(k) === g) && area >= 50 && exch >= 50) return true;
    }
    if (this.dateShaped(k, e)) return false;
    // National numbers with trunk prefix 0: 020 7946 0958, 030/1234567, 06 12 34 56 78.
    if (d0 === 48 && groups > 1 && d >= 9 && d <= 12 && this.len(k) <= 5 && this.len(k) >= 2 && minLen >= 2) {
      let dots = 0, others = 0;
      for (let x = k; x < e; x++) {
        const g = this.gap(x)!;
        if (g === '.') dots++;
        else if (g === ' ' || g === '-' || g === '/' || g === ' - ' || g === ' / ') others++;
        else return false;
      }
      if (dots !== 0 && others !== 0) return false;
      // All pairs (06 12 34 56 78) is the French form: exactly five, and not followed by a sixth ("04 12 23 31 42 45").
      if (this.len(k) === 2 && minLen === 2 && this.maxLenFrom(k, e) === 2) return groups === 5 && !(this.gap(e) === ' ' && this.len(e + 1) <= 2);
      return true;
    }
    // Anything else only after a word that says "phone".
    if (d < 7 || d > 15 || (groups > 1 && minLen < 2)) return false;
    if (groups === 1 && this.len(k) > 12) return false;
    const first = text[gs[k]!]!;
    return this.digitsOf(k, e) !== first.repeat(d) && this.hasContext();
  }
}

const numericScan = new NumericScan();

/** Cards, SSNs, IPv4 addresses and phone numbers over the prescan's digit groups, then IBANs. */
export function findNumeric(text: string, enabled: EnabledSet, out: Span[], scan: Prescan): void {
  numericScan.run(text, enabled, out, scan);
}

/** IBANs start with two capital letters glued to the check digits: look only where a digit group does. */
function findIbans(text: string, gs: Int32Array, ge: Int32Array, G: number, out: Span[]): void {
  for (let k = 0; k < G; k++) {
    const s = gs[k]! - 2;
    if (s < 0 || ge[k]! - gs[k]! < 2) continue;
    if (!isUpper(text.charCodeAt(s)) || !isUpper(text.charCodeAt(s + 1)) || isWord(at(text, s - 1))) continue;
    const want = IBAN_LENGTHS[text.slice(s, s + 2)];
    if (want === undefined) continue;
    let compact = '';
    let i = s;
    while (compact.length < want && i < text.length) {
      const c = text.charCodeAt(i);
      if (isDigit(c) || isUpper(c)) {
        compact += text[i];
        i++;
      } else if (c === 32 && compact.length >= 4 && (isDigit(at(text, i + 1)) || isUpper(at(text, i + 1)))) i++;
      else break;
    }
    if (compact.length === want && !isAlnum(at(text, i)) && ibanValid(compact)) {
      out.push({ start: s, end: i, type: 'iban', priority: PRIORITY.iban });
    }
  }
}
