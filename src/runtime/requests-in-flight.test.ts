import { afterEach, describe, expect, it } from "vitest";
import { IN_FLIGHT_EXPRESSION, IN_FLIGHT_SYMBOL, RequestsInFlight } from "./requests-in-flight.ts";

afterEach(() => {
  delete (globalThis as Record<symbol, unknown>)[IN_FLIGHT_SYMBOL];
});

describe("RequestsInFlight", () => {
  it("lists the requests still in flight, oldest first, with their method, path and age", () => {
    const requests = new RequestsInFlight();
    const a = new Request("http://localhost:8000/a?x=1");
    const b = new Request("http://localhost:8000/b", { method: "POST", body: "x" });
    const c = new Request("http://localhost:8000/c");
    requests.add(a, 100);
    const slotOfB = requests.add(b, 250);
    requests.add(c, 300);
    requests.delete(slotOfB);
    // A freed slot is taken again; the list stays in order of age.
    requests.add(new Request("http://localhost:8000/d"), 400);
    expect(requests.size).toBe(3);
    expect(requests.describe(1_000)).toEqual([
      { method: "GET", path: "/a?x=1", ageMs: 900 },
      { method: "GET", path: "/c", ageMs: 700 },
      { method: "GET", path: "/d", ageMs: 600 },
    ]);
    expect(requests.describe(1_000, 1)).toEqual([{ method: "GET", path: "/a?x=1", ageMs: 900 }]);
  });

  it("is readable by the expression a debugger evaluates in the paused worker", () => {
    const requests = new RequestsInFlight();
    requests.add(new Request("http://localhost/spin"), performance.now());
    requests.publish();
    const json = (0, eval)(IN_FLIGHT_EXPRESSION) as string;
    expect(JSON.parse(json)).toEqual([{ method: "GET", path: "/spin", ageMs: expect.any(Number) }]);
  });

  it("reads as null where nothing was published", () => {
    expect((0, eval)(IN_FLIGHT_EXPRESSION)).toBe("null");
  });
});
