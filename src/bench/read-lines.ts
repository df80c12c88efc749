/**
 * Reading a child's output line by line, for the baselines that run on Bun and Deno
 * (bare-bun.ts, bare-deno.ts): web streams only, so one file serves both.
 *
 * @module
 */

/** Calls `onLine` for each line of `stream`, and reads it to its end so that the child never blocks on it. */
export async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) onLine(line);
  }
}
