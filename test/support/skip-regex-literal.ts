/**
 * Reading TypeScript source as text, for the tests that hold the layering rules: where a regular
 * expression literal ends, so a quote or `//` inside one is not taken for a string or a comment.
 *
 * @module
 */

/** The index just past the regular expression literal whose opening `/` is at `start`, minding character classes. */
export function skipRegexLiteral(source: string, start: number): number {
  let j = start + 1;
  let inClass = false;
  while (j < source.length && source[j] !== "\n" && (inClass || source[j] !== "/")) {
    if (source[j] === "\\") j++;
    else if (source[j] === "[") inClass = true;
    else if (source[j] === "]") inClass = false;
    j++;
  }
  return j + 1;
}
