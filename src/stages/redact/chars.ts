// Character tests on UTF-16 code units, shared by the hand-written scanners.
// Only ASCII counts as "word" for boundaries: in Chinese or Japanese text a
// number is often glued to the words around it and must still be found.

export const isDigit = (c: number): boolean => c >= 48 && c <= 57;
export const isUpper = (c: number): boolean => c >= 65 && c <= 90;
export const isLower = (c: number): boolean => c >= 97 && c <= 122;
export const isAlpha = (c: number): boolean => isUpper(c) || isLower(c);
export const isAlnum = (c: number): boolean => isDigit(c) || isAlpha(c);
export const isHex = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
/** ASCII letters, digits and underscore: what a \b boundary means. */
export const isWord = (c: number): boolean => isAlnum(c) || c === 95;
/** Characters of API keys and tokens: letters, digits, "_" and "-". */
export const isKeyChar = (c: number): boolean => isWord(c) || c === 45;
export const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11 || c === 160;

/** Code unit at i, or -1 outside the string (so tests on it are simply false). */
export function at(text: string, i: number): number {
  return i >= 0 && i < text.length ? text.charCodeAt(i) : -1;
}

/** First i ≥ from where pred fails (or text end), scanning at most max code units. */
export function runEnd(text: string, from: number, pred: (c: number) => boolean, max = Infinity): number {
  const limit = Math.min(text.length, from + max);
  let i = from;
  while (i < limit && pred(text.charCodeAt(i))) i++;
  return i;
}

/** Smallest i ≤ from such that every code unit in [i, from) satisfies pred, scanning at most max back. */
export function runStart(text: string, from: number, pred: (c: number) => boolean, max = Infinity): number {
  const limit = Math.max(0, from - max);
  let i = from;
  while (i > limit && pred(text.charCodeAt(i - 1))) i--;
  return i;
}

/** Counts of character classes in s, for "does this look random" checks. */
export function charClasses(s: string): { upper: number; lower: number; digit: number; other: number } {
  let upper = 0, lower = 0, digit = 0, other = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isUpper(c)) upper++;
    else if (isLower(c)) lower++;
    else if (isDigit(c)) digit++;
    else other++;
  }
  return { upper, lower, digit, other };
}
