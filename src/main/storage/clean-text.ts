// Titles and file names as they are stored and shown: no control characters (a title is one
// line of text, and a terminal or a log must not act on what is in it), no lone surrogates
// (SQLite would keep them as invalid UTF-8, and JSON exports of them are not portable).

// Line breaks, tabs and the like (controls that separate words): each run, with the white
// space around it, becomes one space. The other C0 and C1 controls and DEL: removed.
const BREAKING = /\s*[\t\n\v\f\r\u0085\u2028\u2029][\s\u0085]*/gu;
const OTHER_CONTROLS = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f]/gu;
// Bidirectional embeddings, overrides and isolates: they reorder what follows them on screen.
const BIDI = /[\u202a-\u202e\u2066-\u2069]/gu;
const NEEDS_CLEANING = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Cs}/u;
// A high surrogate without a low one after it, or a low one without a high one before it
// (without the u flag, a regular expression sees the halves of a pair).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Lone surrogates become U+FFFD, line breaks and tabs one space, other control characters and
 * bidirectional controls nothing; the result is trimmed. Text that needs none of it is
 * returned as it is.
 */
export function cleanText(text: string): string {
  if (!NEEDS_CLEANING.test(text)) return text;
  return text.replace(LONE_SURROGATE, '\ufffd').replace(OTHER_CONTROLS, '').replace(BREAKING, ' ').replace(BIDI, '').trim();
}

/** A title as stored: cleaned, and never empty. */
export function cleanTitle(title: string): string {
  return cleanText(title) || 'Untitled';
}
