// Detectors from config: a pattern for the linear-time engine (pattern.ts) and
// an optional checksum. Matches that overlap are merged, so a pattern like
// \d{3} over "12345" redacts all five digits rather than leaving two behind.

import { luhnValid, ibanValid } from '../checksums';
import { CUSTOM_PRIORITY, CUSTOM_SECRET_PRIORITY } from '../entities';
import { compilePattern, type CompiledPattern } from '../pattern';
import type { Span } from './span';

export type CustomValidator = 'luhn' | 'iban' | 'none';

export interface CustomDetectorSpec {
  name: string;
  pattern: string;
  validator: CustomValidator;
  caseInsensitive: boolean;
  secret: boolean;
}

export interface CompiledCustom {
  readonly name: string;
  readonly secret: boolean;
  find(text: string, out: Span[]): void;
}

function validate(kind: CustomValidator, value: string): boolean {
  if (kind === 'none') return true;
  // Bounded lengths first, so a validator never walks a huge match.
  if (kind === 'luhn') {
    if (value.length > 40) return false;
    const digits = value.replace(/[\s-]/g, '');
    return digits.length >= 12 && digits.length <= 19 && /^\d+$/.test(digits) && luhnValid(digits);
  }
  if (value.length > 50) return false;
  return ibanValid(value.replace(/\s/g, '').toUpperCase());
}

/** Throws PatternError (with the position) if the pattern is not accepted. */
export function compileCustom(spec: CustomDetectorSpec): CompiledCustom {
  const pattern: CompiledPattern = compilePattern(spec.pattern, { caseInsensitive: spec.caseInsensitive });
  const priority = spec.secret ? CUSTOM_SECRET_PRIORITY : CUSTOM_PRIORITY;
  return {
    name: spec.name,
    secret: spec.secret,
    find(text, out) {
      let cur: Span | null = null;
      for (const m of pattern.matches(text)) {
        if (!validate(spec.validator, text.slice(m.start, m.end))) continue;
        if (cur && m.start < cur.end) {
          // matches() reports at most one match per end position, with ends increasing.
          cur.start = Math.min(cur.start, m.start);
          cur.end = Math.max(cur.end, m.end);
        } else {
          if (cur) out.push(cur);
          cur = { start: m.start, end: m.end, type: spec.name, priority };
        }
      }
      if (cur) out.push(cur);
    },
  };
}
