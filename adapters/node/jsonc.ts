/**
 * Reading JSON with comments and trailing commas, the dialect of `tsconfig.json`.
 *
 * @module
 */

/**
 * Parses `text` as JSON after removing `//` and `/* *\/` comments and commas before a closing bracket,
 * leaving strings untouched.
 *
 * @throws {SyntaxError} when what remains is not JSON.
 * @example
 * ```ts
 * parseJsonc('{ "compilerOptions": { "target": "es2022", }, // node 20\n }'); // { compilerOptions: { target: "es2022" } }
 * ```
 */
export function parseJsonc(text: string): unknown {
  return JSON.parse(withoutTrailingCommas(withoutComments(text)));
}

function withoutComments(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end - 1;
    } else if (char === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (char === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end === -1 ? text.length : end + 1;
      out += " ";
    } else {
      out += char;
    }
  }
  return out;
}

function withoutTrailingCommas(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end - 1;
    } else if (char === ",") {
      let next = i + 1;
      while (next < text.length && /\s/.test(text[next]!)) next++;
      if (text[next] !== "}" && text[next] !== "]") out += char;
    } else {
      out += char;
    }
  }
  return out;
}

/** The index just past the string that opens at `start`, escapes included. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i + 1;
  }
  return text.length;
}
