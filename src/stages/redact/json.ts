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

/** Quick test before paying for JSON.parse: only objects and arrays are worth it. */
export function mayBeJson(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    return c === 123 || c === 91; // { [
  }
  return false;
}

function stringEnd(src: string, i: number): number {
  let k = i + 1;
  for (;;) {
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

const isScalarChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || (c >= 97 && c <= 122) || (c >= 65 && c <= 90);

/** The redacted JSON text, or null when src is not valid JSON (then treat it as plain text). */
export function redactJson(src: string, hooks: JsonHooks): string | null {
  try {
    JSON.parse(src);
  } catch {
    return null;
  }
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
