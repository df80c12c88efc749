/**
 * The worker's half of a Node stack capture (hung-stack.ts is the master's): SIGUSR1 is left to
 * Node, which opens the inspector on it even while JavaScript spins, on a port the OS picks.
 *
 * @module
 */

import inspector from "node:inspector";
import type { StackCaptureTarget } from "../../src/runtime/stack-capture-target.ts";

let openAtStart = false;

/** Node's {@linkcode StackCaptureTarget}. */
export const nodeStackCaptureTarget: StackCaptureTarget = {
  arm() {
    // An inspector the operator opened (--inspect) is theirs: never closed here.
    openAtStart = inspector.url() !== undefined;
    // 0: the OS picks a free port, so no two workers (or other programs) can collide on 9229.
    process.debugPort = 0;
  },
  closeStray() {
    if (openAtStart || inspector.url() === undefined) return false;
    inspector.close();
    return true;
  },
};
