/**
 * Whether this process is among a terminal's foreground jobs, which the terminal sends SIGWINCH
 * whenever it is resized (a window dragged, a tmux pane split, `docker run -it`).
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import { procStatFields } from "./proc-stat.ts";

/**
 * True when this process has a controlling terminal and is in its foreground process group. Read
 * from Linux's `/proc/self/stat` (`stat` stands in for it in tests); where there is none, whether
 * stdin is a terminal.
 */
export function inTerminalForeground(stat: () => string = () => readFileSync("/proc/self/stat", "utf8")): boolean {
  let text: string;
  try {
    text = stat();
  } catch {
    return Boolean(process.stdin.isTTY);
  }
  const fields = procStatFields(text);
  const [pgrp, ttyNr, foreground] = [Number(fields[2]), Number(fields[4]), Number(fields[5])];
  return ttyNr !== 0 && foreground === pgrp;
}
