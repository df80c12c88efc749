import { describe, expect, it } from "vitest";
import { procStatFields } from "./proc-stat.ts";

describe("procStatFields", () => {
  it("starts at the state, after a command name that holds spaces and parentheses", () => {
    const fields = procStatFields("4242 (mgr: worker) (x) S 4200 4200 4100 34816 4200 4194304 10 0 0 0 7 3 0 0 20\n");
    expect(fields.slice(0, 6)).toEqual(["S", "4200", "4200", "4100", "34816", "4200"]);
    expect([fields[11], fields[12]]).toEqual(["7", "3"]);
  });
});
