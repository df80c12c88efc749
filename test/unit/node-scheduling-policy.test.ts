import { describe, expect, it } from "vitest";
import { schedulingPolicy } from "../../adapters/node/scheduling-policy.ts";

describe("schedulingPolicy", () => {
  it("lets workers accept from the shared socket by default", () => {
    expect(schedulingPolicy({})).toBe("none");
  });

  it("uses round-robin when NODE_CLUSTER_SCHED_POLICY asks for it", () => {
    expect(schedulingPolicy({ NODE_CLUSTER_SCHED_POLICY: "rr" })).toBe("rr");
  });

  it("keeps the default for any other value", () => {
    expect(schedulingPolicy({ NODE_CLUSTER_SCHED_POLICY: "none" })).toBe("none");
    expect(schedulingPolicy({ NODE_CLUSTER_SCHED_POLICY: "RR" })).toBe("none");
  });
});
