// Labels that fit their block: cut at a character boundary with an ellipsis, never mid-glyph.

export const ELLIPSIS = '…';

/**
 * `text` if it fits in `maxWidth`, else its longest prefix that fits with an ellipsis after it,
 * else '' (not even one character and the ellipsis fit). `prefixWidth(n)` is the width of the
 * text's first n UTF-16 units (n = text.length: all of it), `ellipsisWidth` the ellipsis's.
 */
export function fitLabel(text: string, maxWidth: number, prefixWidth: (length: number) => number, ellipsisWidth: number): string {
  if (prefixWidth(text.length) <= maxWidth) return text;
  // The longest prefix that fits with the ellipsis, by binary search on its length.
  let low = 0;
  let high = text.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (prefixWidth(mid) + ellipsisWidth <= maxWidth) low = mid;
    else high = mid - 1;
  }
  // Never split a surrogate pair, nor leave a space before the ellipsis.
  let cut = low;
  if (cut > 0 && isHighSurrogate(text.charCodeAt(cut - 1))) cut--;
  const prefix = text.slice(0, cut).trimEnd();
  return prefix.length > 0 ? prefix + ELLIPSIS : '';
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * Remembers the widths of texts' prefixes in one font: a label is measured once, when first
 * drawn, and fitted to its block by binary search every frame after without measuring again.
 */
export class PrefixWidths {
  private widths = new Map<string, Float64Array>();
  private font = '';

  constructor(private readonly limit = 4096) {}

  /** widths[n]: the width of text.slice(0, n), for n = 0 .. text.length. */
  of(text: string, font: string, measure: (text: string) => number): Float64Array {
    if (font !== this.font) {
      this.widths.clear();
      this.font = font;
    }
    let widths = this.widths.get(text);
    if (widths === undefined) {
      if (this.widths.size >= this.limit) this.widths.clear();
      widths = new Float64Array(text.length + 1);
      for (let n = 1; n <= text.length; n++) widths[n] = measure(text.slice(0, n));
      this.widths.set(text, widths);
    }
    return widths;
  }
}
