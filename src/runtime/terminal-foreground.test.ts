import { describe, expect, it } from "vitest";
import { inTerminalForeground } from "./terminal-foreground.ts";

/** A /proc/self/stat line up to tpgid, then the rest as Linux writes it. */
const stat = (comm: string, pgrp: number, ttyNr: number, tpgid: number) => () =>
  `4242 (${comm}) S 4100 ${pgrp} 4100 ${ttyNr} ${tpgid} 4194560 1195 0 0 0 3 1 0 0 20 0 11 0`;

describe("inTerminalForeground", () => {
  it("is true for a process in its terminal's foreground process group", () => {
    expect(inTerminalForeground(stat("node", 4242, 34817, 4242))).toBe(true);
  });

  it("is false for a background job of a terminal, and with no terminal (systemd)", () => {
    expect(inTerminalForeground(stat("node", 4242, 34817, 4100))).toBe(false);
    expect(inTerminalForeground(stat("node", 4242, 0, -1))).toBe(false);
  });

  it("reads past a command name with spaces and parentheses", () => {
    expect(inTerminalForeground(stat("mgr: master (x) 1 2", 4242, 34817, 4242))).toBe(true);
    expect(inTerminalForeground(stat("mgr: master (x) 1 2", 4242, 0, -1))).toBe(false);
  });

});
