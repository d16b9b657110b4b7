/**
 * Output hygiene for text that came from users (changelog notes, reasons, expected notes,
 * authors, messages): escape sequences in it must not reach a terminal raw. ESC starts CSI/OSC
 * sequences that can recolour, retitle, hide text or write to the clipboard; C1 controls
 * (U+0080–U+009F, e.g. U+009B CSI) do the same on some terminals; `\r` and backspace overwrite
 * what was printed; bidirectional overrides (U+202E…) reorder what a reader sees ("Trojan Source").
 * Each is replaced by a visible escape (`\x1b`, `\u202e`), so the text stays readable and
 * nothing is hidden. Stored text is left as written: this runs on output only.
 */

/**
 * Control characters other than tab and newline, DEL, C1 controls, and the invisible
 * direction marks and overrides (ALM, LRM, RLM, LRE…RLO, LRI…PDI) and the Unicode line separators.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_WITH_NEWLINE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * C0 controls become `\xNN` (`\r`, `\n` as such); DEL, C1 and the Unicode controls become
 * `\uNNNN`. Neither form is a raw control, and the `\u` form keeps JSON text valid JSON with the
 * same value (JSON.stringify already escapes C0, so only `\u` escapes land inside JSON strings).
 */
function visible(c: string): string {
  const code = c.charCodeAt(0);
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  return code < 0x20 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Returns `text` with every character that could drive a terminal (see above) replaced by a
 * visible escape. Newlines are kept by default (for whole blocks of output, and JSON text stays
 * valid JSON of the same value); pass `{ newlines: false }` for one field that must stay on its
 * line. Linear in the text's length.
 */
export function safeForTerminal(text: string, options?: { readonly newlines?: boolean }): string {
  return text.replace(options?.newlines === false ? UNSAFE_WITH_NEWLINE : UNSAFE, visible);
}

/** One user-written field, kept on one line: {@link safeForTerminal} with newlines escaped too. */
export function oneLine(text: string): string {
  return safeForTerminal(text, { newlines: false });
}
