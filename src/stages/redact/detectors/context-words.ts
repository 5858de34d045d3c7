// Context words for the numeric detectors: a bare run of digits is a phone
// number or an SSN only when a word such as "tel" or "ssn" starts shortly
// before it, and a dotted number after "version" is no IP address. Word lists
// are indexed by their first code units so the check costs a few comparisons.

import { isAlpha, isDigit } from '../chars';

/**
 * Words by their first code unit (a Map), and for the ASCII window fast path by
 * their first two code units when both are ASCII (an array indexed by
 * first << 7 | second; one-letter words sit under every second letter).
 */
interface WordList {
  byFirst: ReadonlyMap<number, readonly string[]>;
  asciiPairs: ReadonlyArray<readonly string[] | undefined>;
}
function wordList(words: readonly string[]): WordList {
  const byFirst = new Map<number, string[]>();
  const asciiPairs: Array<string[] | undefined> = new Array<string[] | undefined>(128 * 128).fill(undefined);
  for (const w of words) {
    const list = byFirst.get(w.charCodeAt(0)) ?? [];
    list.push(w);
    byFirst.set(w.charCodeAt(0), list);
    const a = w.charCodeAt(0), b = w.charCodeAt(1);
    if (a >= 128 || b >= 128) continue; // cannot match an ASCII window
    for (let second = 0; second < 128; second++) {
      if (w.length >= 2 && second !== b) continue;
      (asciiPairs[(a << 7) | second] ??= []).push(w);
    }
  }
  return { byFirst, asciiPairs };
}

/**
 * Words that make a bare run of digits a phone number. They must start a word
 * ("hotel 1234567" is not a phone); checked in the few characters before the number.
 */
export const PHONE_WORDS = wordList([
  'phone', 'tel', 'call', 'mobile', 'mob', 'cell', 'fax', 'whatsapp', 'sms', 'text me', 'ring',
  'telefon', 'rufnummer', 'handy', 'anrufen', 'téléphone', 'tél', 'portable', 'appelez', 'teléfono',
  'telefono', 'telefone', 'celular', 'móvil', 'movil', 'llame', 'ligue', 'cellulare', 'chiama',
  'telefoon', 'bel', 'telefonu', 'nummer', 'número', 'numero', 'numéro',
  'телефон', 'тел', 'звоните', '電話', '携帯', '电话', '手机', '전화', '휴대폰',
]);
export const SSN_WORDS = wordList(['ssn', 'social security', 'soc sec', 'sozialversicherungs']);
export const VERSION_WORDS = /(?:^|[^a-z])(?:v|ver|version|release|build|rev|revision|firmware|fw)\.?\s*$/;

/**
 * A word from `words` starts a word in the `window` characters before pos, with no digit
 * between it and pos: "Tel: 555 0199" counts, "电话 +86 … 订单号 2024…" does not for the order number.
 */
export function precededByWord(text: string, pos: number, words: WordList, window: number): boolean {
  let from = Math.max(0, pos - window);
  let ascii = true;
  for (let i = pos - 1; i >= from; i--) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) {
      from = i + 1;
      break;
    }
    if (c >= 128) ascii = false;
  }
  if (ascii) return precededByWordAscii(text, from, pos, words);
  const before = text.slice(from, pos).toLowerCase();
  // At each place a word can start (no ASCII letter before it), the words beginning with that character.
  for (let i = 0; i < before.length; i++) {
    if (i > 0 && isAlpha(before.charCodeAt(i - 1))) continue;
    const group = words.byFirst.get(before.charCodeAt(i));
    if (group === undefined) continue;
    for (const w of group) if (before.startsWith(w, i)) return true;
  }
  return false;
}

/** The same on an ASCII window, where lower-casing only maps A–Z: no copy of the window is made. */
function precededByWordAscii(text: string, from: number, pos: number, words: WordList): boolean {
  for (let i = from; i < pos; i++) {
    if (i > from && isAlpha(text.charCodeAt(i - 1))) continue;
    // The second code unit is inside the window or the word cannot fit; 0 stands for "none".
    const second = i + 1 < pos ? lowerAscii(text.charCodeAt(i + 1)) : 0;
    const group = words.asciiPairs[(lowerAscii(text.charCodeAt(i)) << 7) | second];
    if (group === undefined) continue;
    next: for (const w of group) {
      if (i + w.length > pos) continue;
      for (let k = 0; k < w.length; k++) if (lowerAscii(text.charCodeAt(i + k)) !== w.charCodeAt(k)) continue next;
      return true;
    }
  }
  return false;
}

const lowerAscii = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);
