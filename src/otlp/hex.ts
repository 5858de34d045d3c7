// Byte → two lowercase hex chars, built once: ids are converted per span, and
// a table lookup beats Number#toString(16) + padding by a wide margin.
const HEX: string[] = new Array<string>(256);
for (let i = 0; i < 256; i++) HEX[i] = (i < 16 ? '0' : '') + i.toString(16);

/** Lowercase hex of buf[start, end). The caller has bounds-checked the range. */
export function bytesToHex(buf: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX[buf[i]!];
  return s;
}

/** True if every char of s is 0-9, a-f or A-F. */
export function isHex(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // 0-9, A-F, a-f
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}
