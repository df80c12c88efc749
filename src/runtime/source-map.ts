/**
 * Maps a position in generated code back to its source through a source map (version 3), for the
 * stack of a hung worker: Node runs a TypeScript app as tsx compiled it, and a line of that output
 * says nothing to whoever wrote the app.
 *
 * @module
 */

/** The parts of a source map read here. */
export interface SourceMap {
  sources: string[];
  sourceRoot?: string;
  mappings: string;
}

/** A position in a source file: the source as the map names it, 1-based line and column. */
export interface SourcePosition {
  source: string;
  line: number;
  column: number;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * The original position of 0-based `line` and `column` of the generated code: the closest mapping
 * at or before it on that line; undefined when the line has none.
 *
 * @example
 * ```ts
 * originalPosition({ sources: ["app.ts"], mappings: "AAAA;AACA" }, 1, 0); // { source: "app.ts", line: 2, column: 1 }
 * ```
 */
export function originalPosition(map: SourceMap, line: number, column: number): SourcePosition | undefined {
  let source = 0;
  let sourceLine = 0;
  let sourceColumn = 0;
  const lines = map.mappings.split(";");
  let found: SourcePosition | undefined;
  for (let generatedLine = 0; generatedLine <= line && generatedLine < lines.length; generatedLine++) {
    let generatedColumn = 0;
    for (const segment of lines[generatedLine]!.split(",")) {
      if (segment === "") continue;
      const fields = decodeVlq(segment);
      generatedColumn += fields[0]!;
      if (fields.length < 4) continue;
      source += fields[1]!;
      sourceLine += fields[2]!;
      sourceColumn += fields[3]!;
      if (generatedLine === line && generatedColumn <= column) {
        const name = map.sources[source];
        if (name !== undefined) found = { source: (map.sourceRoot ?? "") + name, line: sourceLine + 1, column: sourceColumn + 1 };
      }
    }
  }
  return found;
}

/** Reads an inline source map, `data:application/json;base64,…`; undefined for anything else. */
export function parseInlineSourceMap(url: string): SourceMap | undefined {
  const match = /^data:application\/json;(?:charset=[\w-]+;)?base64,(.*)$/.exec(url);
  if (!match) return undefined;
  try {
    const map = JSON.parse(atob(match[1]!)) as Partial<SourceMap>;
    return Array.isArray(map.sources) && typeof map.mappings === "string" ? map as SourceMap : undefined;
  } catch {
    return undefined;
  }
}

function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    values.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return values;
}
