// Addresses: email, IPv6, MAC, and credentials inside URLs. Each scanner jumps
// from one anchor character to the next with indexOf ('@', ':', '-', '://'),
// looks a bounded distance either side, and resumes after what it looked at,
// so no character is examined more than a constant number of times.

import { PRIORITY } from '../entities';
import { at, isAlnum, isAlpha, isHex, isSpace, isWord, runEnd, runStart } from '../chars';
import type { EnabledSet, Span } from './span';

/** Latin letters with diacritics (jürgen@…, josé@…): part of a name, not a boundary. */
const isLatinExt = (c: number): boolean => c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7;
const isLocalChar = (c: number): boolean =>
  isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45 || isLatinExt(c); // . _ % + -
const isDomainChar = (c: number): boolean => isAlnum(c) || c === 46 || c === 45 || isLatinExt(c);

/** "icon@2x.png", "logo@3x.svg": asset names, not addresses. */
const FILE_TLDS = new Set([
  'png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'ico', 'bmp', 'avif', 'tif', 'tiff', 'js', 'mjs', 'cjs', 'ts', 'tsx',
  'jsx', 'css', 'scss', 'json', 'html', 'htm', 'xml', 'yaml', 'yml', 'txt', 'log', 'lock', 'map', 'wasm',
]);

function domainOk(domain: string): boolean {
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  for (const l of labels) {
    if (l.length === 0 || l.length > 63 || l.startsWith('-') || l.endsWith('-')) return false;
  }
  const tld = labels[labels.length - 1]!;
  if (tld.length < 2 || tld.length > 24) return false;
  for (let i = 0; i < tld.length; i++) if (!isAlpha(tld.charCodeAt(i)) && !isLatinExt(tld.charCodeAt(i))) return false;
  return !FILE_TLDS.has(tld.toLowerCase());
}

export function findEmails(text: string, out: Span[]): void {
  let a = text.indexOf('@');
  while (a >= 0) {
    let s = runStart(text, a, isLocalChar, 65);
    let e = runEnd(text, a + 1, isDomainChar, 256);
    while (s < a && text.charCodeAt(s) === 46) s++;
    while (e > a + 1 && (text.charCodeAt(e - 1) === 46 || text.charCodeAt(e - 1) === 45)) e--;
    const localOk = s < a && a - s <= 64 && !isLocalChar(at(text, s - 1));
    // git@github.com:org/repo is an scp-style remote and ssh://git@host/… a URL's user, not mailboxes.
    const scp = at(text, e) === 58 && /[A-Za-z0-9_~/]/.test(text[e + 1] ?? '');
    const urlUser = text.startsWith('://', s - 3);
    if (localOk && !scp && !urlUser && e - a - 1 <= 253 && domainOk(text.slice(a + 1, e))) {
      out.push({ start: s, end: e, type: 'email', priority: PRIORITY.email });
    }
    a = text.indexOf('@', a + 1);
  }
}

const isAddrChar = (c: number): boolean => isHex(c) || c === 58 || c === 46; // hex : .

function ipv4Ok(s: string): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  return parts.every((p) => p.length >= 1 && p.length <= 3 && /^\d+$/.test(p) && Number(p) <= 255);
}

function ipv6Ok(t: string): boolean {
  if (t.length < 3 || t.length > 45) return false;
  let body = t;
  let extra = 0;
  const lastColon = t.lastIndexOf(':');
  if (t.includes('.')) {
    if (!ipv4Ok(t.slice(lastColon + 1))) return false;
    body = t.slice(0, lastColon + 1) + '0'; // stand-in group so the split below stays uniform
    extra = 1; // a trailing IPv4 fills two groups
  }
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const groups: string[] = [];
  for (const h of halves) if (h.length) groups.push(...h.split(':'));
  for (const g of groups) if (g.length < 1 || g.length > 4) return false;
  const count = groups.length + extra;
  if (halves.length === 1) return count === 8;
  if (count > 7) return false;
  // Compressed forms: ask for some substance, so "1::2" (a slice) or "::1" stay untouched.
  let hexDigits = 0, longest = 0;
  for (const g of groups) {
    hexDigits += g.length;
    longest = Math.max(longest, g.length);
  }
  return extra === 1 ? groups.length >= 2 : hexDigits >= 4 && longest >= 3 && groups.length >= 2;
}

function macColonOk(t: string): boolean {
  if (t.length !== 17) return false;
  for (let i = 0; i < 17; i++) {
    const c = t.charCodeAt(i);
    if (i % 3 === 2 ? c !== 58 : !isHex(c)) return false;
  }
  return true;
}

/** At least two ':' in [s, e) (a token of at most 128 code units). */
function hasTwoColons(text: string, s: number, e: number): boolean {
  let n = 0;
  for (let i = s; i < e; i++) if (text.charCodeAt(i) === 58 && ++n === 2) return true;
  return false;
}

/** IPv6 and colon-separated MAC addresses: tokens of hex digits, colons and dots around each ':'. */
export function findColonAddresses(text: string, enabled: EnabledSet, out: Span[]): void {
  const wantIp = enabled.has('ip_address');
  const wantMac = enabled.has('mac_address');
  let p = text.indexOf(':');
  let floor = 0;
  while (p >= 0) {
    const s = runStart(text, p, isAddrChar, Math.min(64, p - floor));
    let e = runEnd(text, p, isAddrChar, 64);
    const next = e;
    while (e > s && text.charCodeAt(e - 1) === 46) e--; // a sentence's full stop
    if (e - s >= 2 && text.charCodeAt(e - 1) === 58 && text.charCodeAt(e - 2) !== 58) e--;
    // A MAC has five colons and an IPv6 address at least two: "10:30" or "Note:" is neither, so skip the checks.
    if (hasTwoColons(text, s, e) && !isWord(at(text, s - 1)) && !isWord(at(text, e)) && at(text, s - 1) !== 58) {
      const t = text.slice(s, e);
      if (wantMac && macColonOk(t)) out.push({ start: s, end: e, type: 'mac_address', priority: PRIORITY.mac_address });
      else if (wantIp && ipv6Ok(t)) out.push({ start: s, end: e, type: 'ip_address', priority: PRIORITY.ip_address });
    }
    floor = next;
    p = text.indexOf(':', next);
  }
}

/** 00-1A-2B-3C-4D-5E: checked at each '-' as the first separator of a candidate. */
export function findDashMacs(text: string, out: Span[]): void {
  let p = text.indexOf('-');
  while (p >= 0) {
    const s = p - 2;
    let ok = s >= 0 && s + 17 <= text.length && !isWord(at(text, s - 1)) && !isWord(at(text, s + 17)) && at(text, s + 17) !== 45;
    for (let i = 0; ok && i < 17; i++) {
      const c = text.charCodeAt(s + i);
      ok = i % 3 === 2 ? c === 45 : isHex(c);
    }
    if (ok) {
      out.push({ start: s, end: s + 17, type: 'mac_address', priority: PRIORITY.mac_address });
      p = text.indexOf('-', s + 17);
    } else p = text.indexOf('-', p + 1);
  }
}

const isSchemeChar = (c: number): boolean => isAlnum(c) || c === 43 || c === 46 || c === 45;
/** Characters that end a URL's authority (user:pass@host:port). */
const endsAuthority = (c: number): boolean =>
  c === 47 || c === 63 || c === 35 || isSpace(c) || c === 34 || c === 39 || c === 60 || c === 62 || c === 96;

/** scheme://user:password@host — the userinfo is the secret; a long token alone as the user counts too. */
export function findUrlCredentials(text: string, out: Span[]): void {
  let p = text.indexOf('://');
  while (p >= 0) {
    const ss = runStart(text, p, isSchemeChar, 32);
    if (ss < p && isAlpha(text.charCodeAt(ss))) {
      const as = p + 3;
      let lastAt = -1;
      let i = as;
      const limit = Math.min(text.length, as + 512);
      while (i < limit && !endsAuthority(text.charCodeAt(i))) {
        if (text.charCodeAt(i) === 64) lastAt = i;
        i++;
      }
      if (lastAt > as) {
        const userinfo = text.slice(as, lastAt);
        const colon = userinfo.indexOf(':');
        const withPassword = colon >= 0 && colon < userinfo.length - 1;
        const tokenUser = colon < 0 && userinfo.length >= 16 && /\d/.test(userinfo) && /[A-Za-z]/.test(userinfo);
        if (withPassword || tokenUser) {
          out.push({ start: as, end: lastAt, type: 'url_credentials', priority: PRIORITY.url_credentials });
        }
      }
    }
    p = text.indexOf('://', p + 3);
  }
}

