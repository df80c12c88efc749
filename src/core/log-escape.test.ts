import { describe, expect, it } from "vitest";
import { escapeLogText } from "./log-escape.ts";

describe("escapeLogText", () => {
  it("returns plain text as it is", () => {
    expect(escapeLogText("GET /search?q=mgr HTTP/1.1")).toBe("GET /search?q=mgr HTTP/1.1");
    expect(escapeLogText("héllo ✓")).toBe("héllo ✓");
  });

  it("writes newlines and other whitespace controls in C notation, so no line can be forged", () => {
    const escaped = escapeLogText("/x\n[2026-01-01 00:00:00 +0000] [1] [ERROR] forged\r\t");
    expect(escaped).toBe("/x\\n[2026-01-01 00:00:00 +0000] [1] [ERROR] forged\\r\\t");
    expect(escaped).not.toMatch(/[\n\r]/);
  });

  it("writes other control characters, DEL and C1 controls as \\xNN", () => {
    expect(escapeLogText("a\x00b\x1bc\x7fd\x9be")).toBe("a\\x00b\\x1bc\\x7fd\\x9be");
  });

  it("escapes quotes and backslashes, so a quoted field cannot be closed early", () => {
    expect(escapeLogText('curl" 200 "x\\')).toBe('curl\\" 200 \\"x\\\\');
  });
});
