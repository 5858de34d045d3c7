// What replaces a detected value. Placeholders are numbered per event so a
// reader (or a model in training) can still tell that two mentions are the
// same person; hashes are keyed so the same value joins across records and
// restarts without being guessable from a dictionary of emails or phones.

import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { RedactionSummary } from '../../model';
import type { OperatorName } from './config';

/** Keyed HMAC-SHA-256. There is deliberately no unkeyed variant: an unkeyed hash of an email is reversible by guessing. */
export class Pseudonymizer {
  private readonly key: KeyObject;
  constructor(secret: string) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }
  private mac(domain: string, value: string): string {
    // The domain separates uses, so an email's in-text hash never equals the same string's identifier pseudonym.
    return createHmac('sha256', this.key).update(domain).update('\0').update(value).digest('hex');
  }
  /** 64-bit pseudonym for a value found in text, e.g. <EMAIL:3f9a1c0d2b7e4a61>. */
  entity(type: string, canonical: string): string {
    return this.mac(`entity:${type}`, canonical).slice(0, 16);
  }
  /** 128-bit pseudonym for identifiers (user, session, actor): collisions must stay negligible across millions of users. */
  identifier(value: string): string {
    return this.mac('identifier', value).slice(0, 32);
  }
}

const NON_DIGITS = /\D/g;
const SPACES = /\s/g;
const NON_HEX = /[^0-9a-fA-F]/g;

/** The form under which two mentions count as "the same value" for numbering and hashing. */
export function canonicalize(type: string, value: string): string {
  switch (type) {
    case 'email':
    case 'ip_address':
      return value.toLowerCase();
    case 'phone':
      return (value.trimStart().startsWith('+') ? '+' : '') + value.replace(NON_DIGITS, '');
    case 'credit_card':
    case 'us_ssn':
      return value.replace(NON_DIGITS, '');
    case 'iban':
      return value.replace(SPACES, '').toUpperCase();
    case 'mac_address':
      return value.replace(NON_HEX, '').toLowerCase();
    default:
      return value;
  }
}

/** Per-event state: counts for the summary and placeholder numbers. Holds values only in memory, for one event. */
export class EventContext {
  /** Counts by entity type. A Map, so a custom detector may be called "constructor" or "toString". */
  private readonly entities = new Map<string, number>();
  keysRedacted = 0;
  private wherePath = '';
  private whereIndex = -1;
  private whereKey = '';

  /** Where in the event the walker is, for error messages (field names only, never content). */
  get where(): string {
    return this.whereIndex < 0 ? this.wherePath : `${this.wherePath}[${this.whereIndex}].${this.whereKey}`;
  }
  set where(path: string) {
    this.wherePath = path;
    this.whereIndex = -1;
  }
  /** where = `${path}[${index}].${key}`, recorded without building the string: only a failure reads it. */
  whereAt(path: string, index: number, key: string): void {
    this.wherePath = path;
    this.whereIndex = index;
    this.whereKey = key;
  }
  private readonly numbers = new Map<string, Map<string, number>>();

  count(type: string): void {
    this.entities.set(type, (this.entities.get(type) ?? 0) + 1);
  }

  number(type: string, canonical: string): number {
    let byValue = this.numbers.get(type);
    if (!byValue) this.numbers.set(type, (byValue = new Map()));
    let n = byValue.get(canonical);
    if (n === undefined) byValue.set(canonical, (n = byValue.size + 1));
    return n;
  }

  summary(policyVersion: string): RedactionSummary {
    const entities: Record<string, number> = {};
    // Entity types are built-in names or custom names starting with a-z, so never "__proto__".
    this.entities.forEach((n, type) => {
      entities[type] = n;
    });
    return { policyVersion, entities, keysRedacted: this.keysRedacted };
  }
}

/** Keep the last `keep` characters; every earlier letter or digit becomes "*", separators stay so the shape is readable. */
export function mask(value: string, keep: number): string {
  const visibleFrom = value.length > keep ? value.length - keep : value.length;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    out += i >= visibleFrom || !/[\p{L}\p{N}]/u.test(ch) ? ch : '*';
  }
  return out;
}

export interface OperatorOptions {
  maskKeepLast: number;
  hmac: Pseudonymizer | null;
}

/** Placeholder labels by entity type ("EMAIL"), made once per type rather than per replacement. */
const LABELS = new Map<string, string>();
function labelOf(type: string): string {
  let l = LABELS.get(type);
  if (l === undefined) {
    l = type.toUpperCase();
    // Types are the built-in names and the custom detectors' names from config: few, but bound it anyway.
    if (LABELS.size < 1024) LABELS.set(type, l);
  }
  return l;
}

export function applyOperator(op: OperatorName, type: string, value: string, ctx: EventContext, opts: OperatorOptions): string {
  const label = labelOf(type);
  switch (op) {
    case 'placeholder':
      return `<${label}_${ctx.number(type, canonicalize(type, value))}>`;
    case 'hash':
      if (!opts.hmac) throw new Error('hash operator without an HMAC key');
      return `<${label}:${opts.hmac.entity(type, canonicalize(type, value))}>`;
    case 'mask':
      return mask(value, opts.maskKeepLast);
    case 'drop':
      return '';
    default:
      // Unreachable with a validated config; never let a value through as "undefined" text.
      throw new Error('unknown operator');
  }
}
