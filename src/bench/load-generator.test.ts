import { describe, expect, it } from "vitest";
import { parseAutocannonOutput } from "./autocannon.ts";
import { parseWrkOutput } from "./wrk.ts";

const WRK_REPORT = `Running 1s test @ http://127.0.0.1:40000/
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   180.52us  120.11us   5.12ms   95.10%
    Req/Sec    52.01k     3.10k   56.20k    80.00%
  Latency Distribution
     50%  150.00us
     75%  190.00us
     90%  250.00us
     99%    1.20ms
  52345 requests in 1.00s, 6.54MB read
  Socket errors: connect 0, read 2, write 1, timeout 0
  Non-2xx or 3xx responses: 7
Requests/sec:  52300.11
Transfer/sec:      6.53MB
`;

describe("parseWrkOutput", () => {
  it("reads the request count, the rate, the percentiles in ms and the errors", () => {
    expect(parseWrkOutput(WRK_REPORT)).toEqual({
      requests: 52345,
      seconds: 1,
      requestsPerSecond: 52300.11,
      non2xx: 7,
      socketErrors: 3,
      latencyP50Ms: 0.15,
      latencyP90Ms: 0.25,
      latencyP99Ms: 1.2,
    });
  });

  it("refuses text that is no report", () => {
    expect(() => parseWrkOutput("unable to connect")).toThrow(/Cannot read wrk's report/);
  });
});

describe("parseAutocannonOutput", () => {
  it("reads the last line of --json output", () => {
    const report = { duration: 2, requests: { total: 1000 }, latency: { p50: 1, p90: 3, p99: 9 }, non2xx: 4, errors: 2, timeouts: 1 };
    expect(parseAutocannonOutput(`noise\n${JSON.stringify(report)}\n`)).toEqual({
      requests: 1000,
      seconds: 2,
      requestsPerSecond: 500,
      non2xx: 4,
      socketErrors: 2,
      latencyP50Ms: 1,
      latencyP90Ms: 3,
      latencyP99Ms: 9,
    });
  });
});
