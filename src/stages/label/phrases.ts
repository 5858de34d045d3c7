// Phrase search for the rule labelers: an Aho–Corasick automaton built once
// from a phrase list, so one pass over the text finds any phrase in time
// linear in the text (plus the phrase list, once, at build). Text and phrases
// are compared after the same normalization: lower case, typographic
// apostrophes made plain, runs of whitespace collapsed to one space.

/**
 * What counts as a refusal when it appears near the start of a response.
 * Deliberately short and specific: "I can't" alone would also match answers
 * ("I can't reproduce this; try…").
 */
export const DEFAULT_REFUSAL_PHRASES: readonly string[] = [
  "i can't help with",
  'i cannot help with',
  "i can't assist with",
  'i cannot assist with',
  "i'm sorry, but i can't",
  "i'm sorry, but i cannot",
  'i am sorry, but i cannot',
  "i'm unable to help",
  'i am unable to help',
  "i'm not able to help with",
  "i won't be able to help",
  'i must decline',
  "i can't comply",
  'i cannot comply',
  "i can't provide that",
  'i cannot provide that',
  'as an ai language model, i cannot',
];

/**
 * Instructions that ask for JSON output. Narrow on purpose: a prompt that
 * merely mentions JSON ("why is this not valid JSON?") must not count.
 */
export const DEFAULT_JSON_REQUEST_PHRASES: readonly string[] = [
  'respond in json',
  'respond with json',
  'respond only with json',
  'respond with valid json',
  'respond with a json object',
  'reply in json',
  'reply with json',
  'answer in json',
  'output json',
  'output only json',
  'output valid json',
  'output a json object',
  'return json',
  'return only json',
  'return valid json',
  'return a json object',
  'in json format',
  'as a json object',
  'formatted as json',
  'only valid json',
  'json only',
];

/** Lower case, plain apostrophes, single spaces; the first `limit` characters only. */
export function normalizeText(text: string, limit = Infinity): string {
  const s = text.length > limit ? text.slice(0, limit) : text;
  return s.toLowerCase().replace(/[\u2018\u2019\u02bc]/g, "'").replace(/\s+/g, ' ');
}

export class PhraseMatcher {
  // Node 0 is the root. goto[n] maps a character to the next node; fail[n] is
  // the longest proper suffix of n's path that is also a path; out[n] says a
  // phrase ends at n or at one of its suffixes.
  private readonly goto: Array<Map<string, number>> = [new Map()];
  private readonly fail: number[] = [0];
  private readonly out: boolean[] = [false];
  /**
   * The automaton compiled to a dense transition table over ASCII (failure
   * links folded in), so the hot loop is one array read per character; other
   * characters take the map path. Built once, at config load.
   */
  private readonly ascii: Int32Array;
  readonly size: number;

  constructor(phrases: readonly string[]) {
    const list = [...new Set(phrases.map((p) => normalizeText(p).trim()).filter((p) => p.length > 0))];
    this.size = list.length;
    for (const p of list) {
      let n = 0;
      for (const ch of p) {
        let next = this.goto[n]!.get(ch);
        if (next === undefined) {
          next = this.goto.length;
          this.goto.push(new Map());
          this.fail.push(0);
          this.out.push(false);
          this.goto[n]!.set(ch, next);
        }
        n = next;
      }
      this.out[n] = true;
    }
    // Breadth-first, so a node's fail link is computed after those of shorter paths.
    const queue: number[] = [...this.goto[0]!.values()];
    for (let q = 0; q < queue.length; q++) {
      const n = queue[q]!;
      for (const [ch, child] of this.goto[n]!) {
        queue.push(child);
        let f = this.fail[n]!;
        while (f !== 0 && !this.goto[f]!.has(ch)) f = this.fail[f]!;
        const target = this.goto[f]!.get(ch);
        this.fail[child] = target !== undefined && target !== child ? target : 0;
        if (this.out[this.fail[child]!]) this.out[child] = true;
      }
    }
    const nodes = this.goto.length;
    this.ascii = new Int32Array(nodes * 128);
    for (const n of [0, ...queue]) {
      for (let c = 0; c < 128; c++) {
        const direct = this.goto[n]!.get(String.fromCharCode(c));
        // BFS order: a node's fail target is complete before the node itself.
        this.ascii[n * 128 + c] = direct !== undefined ? direct : n === 0 ? 0 : this.ascii[this.fail[n]! * 128 + c]!;
      }
    }
  }

  /**
   * Like test(normalizeText(text, limit)) without building the normalized
   * copy: lower-casing, apostrophe folding and whitespace collapsing happen
   * inline, character by character. This is the hot-path form.
   */
  testText(text: string, limit = Infinity): boolean {
    if (this.size === 0) return false;
    const end = Math.min(text.length, limit);
    const table = this.ascii;
    let n = 0;
    let prevSpace = false;
    for (let i = 0; i < end; i++) {
      let code = text.charCodeAt(i);
      if (code === 32 || (code >= 9 && code <= 13)) {
        if (prevSpace) continue;
        prevSpace = true;
        code = 32;
      } else prevSpace = false;
      if (code < 128) {
        if (code >= 65 && code <= 90) code += 32;
        n = table[n * 128 + code]!;
      } else if (code === 0x2018 || code === 0x2019 || code === 0x02bc) {
        n = table[n * 128 + 39]!;
      } else {
        let ch = String.fromCodePoint(text.codePointAt(i)!);
        if (ch.length === 2) i++;
        if (/\s/.test(ch)) {
          if (prevSpace) continue;
          prevSpace = true;
          n = table[n * 128 + 32]!;
          if (this.out[n]) return true;
          continue;
        }
        ch = ch.toLowerCase();
        for (const c of ch) {
          const cc = c.charCodeAt(0);
          if (cc < 128) {
            n = table[n * 128 + cc]!;
            continue;
          }
          while (n !== 0 && !this.goto[n]!.has(c)) n = this.fail[n]!;
          n = this.goto[n]!.get(c) ?? 0;
        }
      }
      if (this.out[n]) return true;
    }
    return false;
  }

  /** True if any phrase occurs in `normalized` (already passed through normalizeText). */
  test(normalized: string): boolean {
    if (this.size === 0) return false;
    let n = 0;
    const table = this.ascii;
    for (let i = 0; i < normalized.length; i++) {
      const code = normalized.charCodeAt(i);
      if (code < 128) {
        n = table[n * 128 + code]!;
      } else {
        // Outside ASCII: walk the trie with failure links (whole code points).
        const ch = String.fromCodePoint(normalized.codePointAt(i)!);
        if (ch.length === 2) i++;
        while (n !== 0 && !this.goto[n]!.has(ch)) n = this.fail[n]!;
        n = this.goto[n]!.get(ch) ?? 0;
      }
      if (this.out[n]) return true;
    }
    return false;
  }
}
