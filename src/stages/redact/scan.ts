// Runs every enabled detector over one string and settles overlaps: credentials
// beat PII, specific beats generic (entities.ts PRIORITY), then the longer
// detection wins. The result is sorted and non-overlapping, ready to replace.

import type { CompiledCustom } from './detectors/custom';
import { findNumeric } from './detectors/numeric';
import { findColonAddresses, findDashMacs, findEmails, findUrlCredentials } from './detectors/network';
import { findApiKeys, findBearerTokens, findJwts, findPrivateKeys, findSecretAssignments } from './detectors/secrets';
import type { EnabledSet, Span } from './detectors/span';

export type { Span } from './detectors/span';

export interface Scanner {
  /** Detections in text: sorted by start, non-overlapping. */
  detect(text: string): Span[];
}

export function createScanner(enabled: EnabledSet, custom: readonly CompiledCustom[]): Scanner {
  const has = (t: string): boolean => enabled.has(t);
  const anyKey = ['openai_api_key', 'anthropic_api_key', 'aws_access_key_id', 'github_token', 'slack_token', 'stripe_key', 'google_api_key'].some(has);
  const numeric = ['credit_card', 'iban', 'us_ssn', 'ip_address', 'phone'].some(has);
  return {
    detect(text: string): Span[] {
      const out: Span[] = [];
      if (text.length === 0) return out;
      if (has('private_key')) findPrivateKeys(text, out);
      if (has('jwt')) findJwts(text, out);
      if (has('url_credentials')) findUrlCredentials(text, out);
      if (anyKey) findApiKeys(text, enabled, out);
      if (has('bearer_token')) findBearerTokens(text, out);
      if (has('secret')) findSecretAssignments(text, out);
      for (const c of custom) c.find(text, out);
      if (has('email')) findEmails(text, out);
      if (numeric) findNumeric(text, enabled, out);
      if (has('ip_address') || has('mac_address')) findColonAddresses(text, enabled, out);
      if (has('mac_address')) findDashMacs(text, out);
      return resolve(out, text.length);
    },
  };
}

function resolve(spans: Span[], n: number): Span[] {
  if (spans.length <= 1) return spans;
  spans.sort((a, b) => a.priority - b.priority || b.end - b.start - (a.end - a.start) || a.start - b.start);
  // Each detector family reports disjoint spans, so the marking below touches
  // every position a bounded number of times.
  const taken = new Uint8Array(n);
  const kept: Span[] = [];
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
  return kept.sort((a, b) => a.start - b.start);
}
