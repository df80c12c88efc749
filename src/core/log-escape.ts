/**
 * Escaping what a client sent before it reaches a log, so that a request cannot forge log lines (a
 * newline in a header value) or break a quoted field (a `"` in a User-Agent).
 *
 * Gunicorn's access log escapes nothing and relies on its parser to refuse control characters; mgr
 * cannot, since the runtimes differ (Bun accepts DEL in a field value, a Basic user name is decoded
 * from base64 and may hold anything). So mgr escapes as Apache's mod_log_config does for `%r`, `%i`
 * and `%u`, which Gunicorn's atoms come from: `"` and `\` take a backslash, whitespace controls their C
 * notation, every other control character `\xNN`.
 *
 * @module
 */

/** What needs escaping: C0 controls, `"`, `\`, DEL and the C1 controls a terminal may act on. */
const NEEDS_ESCAPE = /[\x00-\x1f"\\\x7f-\x9f]/;
const NEEDS_ESCAPE_ALL = /[\x00-\x1f"\\\x7f-\x9f]/g;

const NAMED: Record<string, string> = {
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  "\f": "\\f",
  "\b": "\\b",
  '"': '\\"',
  "\\": "\\\\",
};

function escapeOne(char: string): string {
  return NAMED[char] ?? `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`;
}

/**
 * Escapes `text` for one line of a log: control characters, `"` and `\`. Text with none of them
 * (nearly all) comes back as it is, after one regular expression test.
 *
 * @example
 * ```ts
 * escapeLogText('GET /\n[ERROR] forged "x"'); // 'GET /\\n[ERROR] forged \\"x\\"'
 * ```
 */
export function escapeLogText(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(NEEDS_ESCAPE_ALL, escapeOne) : text;
}
