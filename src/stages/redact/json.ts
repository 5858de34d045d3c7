// Redaction inside JSON text (tool-call arguments and responses, JSON-valued
// attributes) that keeps it valid JSON: only string and number tokens are
// replaced, each by a JSON string, and everything else is copied byte for
// byte. Parsing and re-serializing would be simpler but would round large
// numbers (a 19-digit card number survives JSON.parse only approximately, so
// the digits written back would differ from what was checked) and reformat
// the text. The walk is iterative, so deep nesting cannot overflow the stack.

export interface JsonHooks {
  /** Redact one decoded string (a value, a key, or a number's text). */
  text(s: string): string;
  /** Is this object key's value to be masked whole? */
  blockedKey(key: string): boolean;
  /** Called once per masked value. */
  onBlocked(): void;
}

export const BLOCKED_VALUE = '****';

/** Quick test before checking the whole text: only objects and arrays are worth it. */
export function mayBeJson(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    return c === 123 || c === 91; // { [
  }
  return false;
}

// The walk below runs only on text isJson() accepted. Its scans still stop at
// the end of the text and throw (the event then fails closed) rather than loop,
// should that ever not hold.
function unterminated(): never {
  throw new Error('JSON walk ran past the end of the text');
}

function stringEnd(src: string, i: number): number {
  let k = i + 1;
  for (;;) {
    if (k >= src.length) unterminated();
    const c = src.charCodeAt(k);
    if (c === 34) return k + 1;
    k += c === 92 ? 2 : 1;
  }
}

/** Like stringEnd, as end * 2 + 1 if the string has an escape, end * 2 if not. */
function stringToken(src: string, i: number): number {
  let k = i + 1;
  let escaped = 0;
  for (;;) {
    if (k >= src.length) unterminated();
    const c = src.charCodeAt(k);
    if (c === 34) return (k + 1) * 2 + escaped;
    if (c === 92) {
      escaped = 1;
      k += 2;
    } else k++;
  }
}

/** End of the object or array opening at i (input known to be valid JSON). */
function compositeEnd(src: string, i: number): number {
  let depth = 0;
  let k = i;
  for (;;) {
    if (k >= src.length) unterminated();
    const c = src.charCodeAt(k);
    if (c === 34) {
      k = stringEnd(src, k);
      continue;
    }
    if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0) return k + 1;
    }
    k++;
  }
}

// ── validity ─────────────────────────────────────────────────────────────────

const isJsonSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;
const isDigitCode = (c: number): boolean => c >= 48 && c <= 57;
const isHexCode = (c: number): boolean => isDigitCode(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

function skipSpace(src: string, i: number): number {
  while (i < src.length && isJsonSpace(src.charCodeAt(i))) i++;
  return i;
}

/** End of the JSON string opening at i, or -1 if it is not one (unterminated, raw control character, bad escape). */
function validString(src: string, i: number): number {
  const n = src.length;
  let k = i + 1;
  while (k < n) {
    const c = src.charCodeAt(k);
    if (c === 34) return k + 1;
    if (c < 0x20) return -1;
    if (c !== 92) {
      k++;
      continue;
    }
    const e = src.charCodeAt(k + 1);
    if (e === 117) {
      // \uXXXX
      for (let h = k + 2; h < k + 6; h++) if (!isHexCode(src.charCodeAt(h))) return -1;
      k += 6;
    } else if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) k += 2;
    else return -1;
  }
  return -1;
}

/** End of the JSON number starting at i, or -1: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? */
function validNumber(src: string, i: number): number {
  let k = i;
  if (src.charCodeAt(k) === 45) k++;
  const first = src.charCodeAt(k);
  if (first === 48) k++;
  else if (first >= 49 && first <= 57) while (isDigitCode(src.charCodeAt(k))) k++;
  else return -1;
  if (src.charCodeAt(k) === 46) {
    k++;
    if (!isDigitCode(src.charCodeAt(k))) return -1;
    while (isDigitCode(src.charCodeAt(k))) k++;
  }
  const e = src.charCodeAt(k);
  if (e === 101 || e === 69) {
    k++;
    const sign = src.charCodeAt(k);
    if (sign === 43 || sign === 45) k++;
    if (!isDigitCode(src.charCodeAt(k))) return -1;
    while (isDigitCode(src.charCodeAt(k))) k++;
  }
  return k;
}

const IN_OBJECT = 1;
const IN_ARRAY = 2;

/**
 * Whether JSON.parse would accept src (ECMA-404: whitespace is space, tab, LF
 * and CR; strings without raw control characters; numbers without leading
 * zeros; no trailing commas), decided in one pass without building any value:
 * parsing the document only to learn that it is valid cost more than the walk
 * itself. Iterative, so any depth is fine, as it is for JSON.parse.
 */
export function isJson(src: string): boolean {
  const n = src.length;
  const stack: number[] = [];
  let i = skipSpace(src, 0);
  // One of: a value is expected at i; an object key is expected at i; a value just ended before i.
  let state: 'value' | 'key' | 'after' = 'value';
  for (;;) {
    if (state === 'key') {
      if (src.charCodeAt(i) !== 34) return false;
      i = validString(src, i);
      if (i < 0) return false;
      i = skipSpace(src, i);
      if (src.charCodeAt(i) !== 58) return false;
      i = skipSpace(src, i + 1);
      state = 'value';
    } else if (state === 'value') {
      if (i >= n) return false;
      const c = src.charCodeAt(i);
      if (c === 123 || c === 91) {
        i = skipSpace(src, i + 1);
        if (src.charCodeAt(i) === (c === 123 ? 125 : 93)) {
          i++;
          state = 'after';
        } else {
          stack.push(c === 123 ? IN_OBJECT : IN_ARRAY);
          state = c === 123 ? 'key' : 'value';
        }
        continue;
      }
      if (c === 34) i = validString(src, i);
      else if (c === 45 || isDigitCode(c)) i = validNumber(src, i);
      else if (c === 116 && src.startsWith('true', i)) i += 4;
      else if (c === 102 && src.startsWith('false', i)) i += 5;
      else if (c === 110 && src.startsWith('null', i)) i += 4;
      else return false;
      if (i < 0) return false;
      state = 'after';
    } else {
      i = skipSpace(src, i);
      if (stack.length === 0) return i === n;
      const c = src.charCodeAt(i);
      const top = stack[stack.length - 1];
      if (c === 44) {
        i = skipSpace(src, i + 1);
        state = top === IN_OBJECT ? 'key' : 'value';
      } else if ((c === 125 && top === IN_OBJECT) || (c === 93 && top === IN_ARRAY)) {
        stack.pop();
        i++;
      } else return false;
    }
  }
}

const isScalarChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || (c >= 97 && c <= 122) || (c >= 65 && c <= 90);

/** The redacted JSON text, or null when src is not valid JSON (then treat it as plain text). */
export function redactJson(src: string, hooks: JsonHooks): string | null {
  if (!isJson(src)) return null;
  const parts: string[] = [];
  let copied = 0;
  const replace = (a: number, b: number, with_: string): void => {
    parts.push(src.slice(copied, a), with_);
    copied = b;
  };
  const stack: number[] = []; // 123 object, 91 array
  let expectKey = false;
  let keyBlocked = false;
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src.charCodeAt(i);
    const inObject = stack[stack.length - 1] === 123;
    const blockedValue = inObject && !expectKey && keyBlocked;
    if (c === 123 || c === 91) {
      if (blockedValue) {
        const e = compositeEnd(src, i);
        replace(i, e, JSON.stringify(BLOCKED_VALUE));
        hooks.onBlocked();
        keyBlocked = false;
        i = e;
        continue;
      }
      stack.push(c);
      expectKey = c === 123;
      i++;
    } else if (c === 125 || c === 93) {
      stack.pop();
      expectKey = false;
      i++;
    } else if (c === 44) {
      expectKey = inObject;
      i++;
    } else if (c === 58) {
      expectKey = false;
      i++;
    } else if (c === 34) {
      const token = stringToken(src, i);
      const e = token >>> 1;
      // Without an escape the text between the quotes is the string itself (src is valid JSON).
      const decoded = token & 1 ? (JSON.parse(src.slice(i, e)) as string) : src.slice(i + 1, e - 1);
      if (inObject && expectKey) {
        keyBlocked = hooks.blockedKey(decoded);
        const r = hooks.text(decoded);
        if (r !== decoded) replace(i, e, JSON.stringify(r));
      } else if (blockedValue) {
        replace(i, e, JSON.stringify(BLOCKED_VALUE));
        hooks.onBlocked();
        keyBlocked = false;
      } else {
        const r = hooks.text(decoded);
        if (r !== decoded) replace(i, e, JSON.stringify(r));
      }
      i = e;
    } else if (isScalarChar(c)) {
      let e = i + 1;
      while (e < n && isScalarChar(src.charCodeAt(e))) e++;
      const token = src.slice(i, e);
      if (blockedValue) {
        replace(i, e, JSON.stringify(BLOCKED_VALUE));
        hooks.onBlocked();
        keyBlocked = false;
      } else if (c !== 116 && c !== 102 && c !== 110) {
        // A number: a phone or card may arrive unquoted. If anything is found, the result is a string.
        const r = hooks.text(token);
        if (r !== token) replace(i, e, JSON.stringify(r));
      }
      i = e;
    } else i++; // whitespace
  }
  if (parts.length === 0) return src;
  parts.push(src.slice(copied));
  return parts.join('');
}
