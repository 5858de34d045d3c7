// Runs every enabled detector over one string and settles overlaps: credentials
// beat PII, specific beats generic (entities.ts PRIORITY), then the longer
// detection wins. The result is sorted and non-overlapping, ready to replace.
// One pass (prescan.ts) first finds where each detector could match; a
// detector with no candidate and no anchor character in the string is not run.

import type { CompiledCustom } from './detectors/custom';
import { findNumeric } from './detectors/numeric';
import { findColonAddresses, findDashMacs, findEmails, findUrlCredentials } from './detectors/network';
import { findApiKeys, findBearerTokens, findJwts, findLoginPasswordFlags, findPrivateKeys, findSecretAssignments } from './detectors/secrets';
import type { EnabledSet, Span } from './detectors/span';
import { F_AT, F_COLON, F_DASH, F_DASHES, F_FLAG_P, F_JWT, F_SCHEME, prescan } from './prescan';

export type { Span } from './detectors/span';

export interface Scanner {
  /** Detections in text: sorted by start, non-overlapping. */
  detect(text: string): Span[];
}

/**
 * No built-in detector can match fewer code units: the shortest detections are
 * an email "a@b.cd" and a compressed IPv6 "abc::d" (6), "a://:b@" (7), seven
 * digits of a phone number, a name, separator and 4-character value ("pwd=abcd").
 * JSON keys and values ("ok", "EUR", "49") are often shorter and skip the scan.
 * Custom detectors may match anything, so with any of them every string is scanned.
 */
export const MIN_DETECTABLE_LENGTH = 6;

export function createScanner(enabled: EnabledSet, custom: readonly CompiledCustom[]): Scanner {
  // Decided once: detect() runs for every string of every event.
  const has = (t: string): boolean => enabled.has(t);
  const keys = ['openai_api_key', 'anthropic_api_key', 'aws_access_key_id', 'github_token', 'slack_token', 'stripe_key', 'google_api_key'].some(has);
  const numeric = ['credit_card', 'iban', 'us_ssn', 'ip_address', 'phone'].some(has);
  const [pem, jwt, urls, bearer, secret, email] = ['private_key', 'jwt', 'url_credentials', 'bearer_token', 'secret', 'email'].map(has);
  const colon = has('ip_address') || has('mac_address');
  const mac = has('mac_address');
  return {
    detect(text: string): Span[] {
      const out: Span[] = [];
      if (text.length < MIN_DETECTABLE_LENGTH && custom.length === 0) return out;
      // One pass finds every detector's candidates; a detector whose anchor is absent is skipped.
      const scan = prescan(text);
      const f = scan.features;
      if (pem && f & F_DASHES) findPrivateKeys(text, out);
      if (jwt && f & F_JWT) findJwts(text, out);
      if (urls && f & F_SCHEME) findUrlCredentials(text, out);
      if (keys && scan.keys.length > 0) findApiKeys(text, enabled, out, scan);
      if (bearer && scan.bearers.length > 0) findBearerTokens(text, out, scan);
      if (secret) {
        if (scan.names.length > 0) findSecretAssignments(text, out, scan);
        if (f & F_FLAG_P) findLoginPasswordFlags(text, out);
      }
      for (const c of custom) c.find(text, out);
      if (email && f & F_AT) findEmails(text, out);
      if (numeric) findNumeric(text, enabled, out, scan);
      if (colon && f & F_COLON) findColonAddresses(text, enabled, out);
      if (mac && f & F_DASH) findDashMacs(text, out);
      return resolve(out, text.length);
    },
  };
}

function resolve(spans: Span[], n: number): Span[] {
  if (spans.length <= 1) return spans;
  spans.sort(byPrecedence);
  const kept: Span[] = [];
  if (spans.length <= FEW_SPANS) {
    // A few detections: test each against those kept so far, without a mark per code unit of the text.
    for (const s of spans) {
      let free = true;
      // Overlap means a code unit in both (an empty span holds none, as with the marks below).
      for (let k = 0; free && k < kept.length; k++) {
        const o = kept[k]!;
        free = !(o.start < o.end && s.start < s.end && o.start < s.end && s.start < o.end);
      }
      if (free) kept.push(s);
    }
    return kept.sort(byStart);
  }
  // Each detector family reports disjoint spans, so the marking below touches
  // every position a bounded number of times.
  const taken = new Uint8Array(n);
  for (const s of spans) {
    let free = true;
    for (let i = s.start; i < s.end; i++) {
      if (taken[i]) {
        free = false;
        break;
      }
    }
    if (!free) continue;
    taken.fill(1, s.start, s.end);
    kept.push(s);
  }
  return kept.sort(byStart);
}

/** Up to this many detections in one string, overlaps are settled pairwise. */
const FEW_SPANS = 16;
const byPrecedence = (a: Span, b: Span): number => a.priority - b.priority || b.end - b.start - (a.end - a.start) || a.start - b.start;
const byStart = (a: Span, b: Span): number => a.start - b.start;
