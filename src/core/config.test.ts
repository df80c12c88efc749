import { describe, expect, it } from "vitest";
import {
  type Config,
  ConfigError,
  DEFAULT_BIND,
  DEFAULTS,
  formatAddress,
  formatListenUrl,
  parseBind,
  validateValue,
} from "./config.ts";
import { LOG_LEVELS } from "./logger.ts";

/** Runs `fn`, expecting a ConfigError, and returns it. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError, got none");
}

describe("DEFAULTS", () => {
  it("follows Gunicorn's defaults, listening on loopback only", () => {
    expect(DEFAULTS).toEqual({
      bind: [{ host: "127.0.0.1", port: 8000 }],
      backlog: 2048,
      timeout: 30,
      gracefulTimeout: 30,
      keepalive: 5,
      maxRequests: 0,
      maxRequestsJitter: 0,
      maxRss: 0,
      adminBind: null,
      adminToken: null,
      logLevel: "info",
      accessLog: null,
      accessLogFormat: '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"',
      errorLog: "-",
      logFormat: "text",
      pidfile: null,
      name: null,
      user: null,
      group: null,
      umask: null,
      limitRequestLine: 4094,
      limitRequestFields: 100,
      limitRequestFieldSize: 8190,
      limitRequestBody: 0,
      headersTimeout: 10,
      bodyTimeout: 0,
      requestTimeout: 0,
      forwardedAllowIps: ["127.0.0.1", "::1"],
      workerConnections: 0,
      preloadApp: false,
      reload: false,
      reloadExtraFiles: [],
      reloadIgnore: [],
      wsMaxSize: 16 * 1024 * 1024,
      wsPingInterval: 20,
      wsPingTimeout: 20,
      hooks: {},
    });
    expect(LOG_LEVELS).toEqual(["debug", "info", "warning", "error", "critical"]);
  });
});

describe("validateValue for Gunicorn's worker_connections and preload_app", () => {
  it("reads workerConnections as an integer >= 0, 0 meaning no limit", () => {
    expect(validateValue("workerConnections", "1000")).toBe(1000);
    expect(validateValue("workerConnections", 0)).toBe(0);
    expect(() => validateValue("workerConnections", -1)).toThrow("`workerConnections` must be an integer >= 0, got `-1`");
  });

  it("reads preloadApp as a boolean, from a config file or the environment", () => {
    expect(validateValue("preloadApp", true)).toBe(true);
    expect(validateValue("preloadApp", "false")).toBe(false);
    expect(validateValue("preloadApp", "1")).toBe(true);
    expect(() => validateValue("preloadApp", "yes please")).toThrow("must be true or false");
  });
});

describe("validateValue for the HTTP edge", () => {
  it("reads sizes in bytes, with k, m and g in units of 1024", () => {
    expect(validateValue("limitRequestBody", 1048576)).toBe(1048576);
    expect(validateValue("limitRequestBody", "1048576")).toBe(1048576);
    expect(validateValue("limitRequestBody", "512k")).toBe(512 * 1024);
    expect(validateValue("limitRequestBody", "10MB")).toBe(10 * 1024 * 1024);
    expect(validateValue("limitRequestBody", "2g")).toBe(2 * 1024 ** 3);
    expect(validateValue("limitRequestBody", 0)).toBe(0);
  });

  it.each([-1, 1.5, "ten", "10 TB", "1e6", "", null])("refuses the body limit %j in one line", (value) => {
    expect(configError(() => validateValue("limitRequestBody", value)).message).toMatch(
      /^option `limitRequestBody` must be a size in bytes >= 0, such as 1048576, 512k or 10MB, got `.*`$/,
    );
  });

  it("reads forwarded-allow-ips as a list of addresses, CIDR ranges or *", () => {
    expect(validateValue("forwardedAllowIps", "127.0.0.1, ::1,10.0.0.0/8")).toEqual(["127.0.0.1", "::1", "10.0.0.0/8"]);
    expect(validateValue("forwardedAllowIps", ["*"])).toEqual(["*"]);
    expect(validateValue("forwardedAllowIps", "fd00::/8")).toEqual(["fd00::/8"]);
    expect(validateValue("forwardedAllowIps", "::ffff:10.0.0.1,2001:db8:0:0:0:0:0:1")).toEqual(["::ffff:10.0.0.1", "2001:db8:0:0:0:0:0:1"]);
    expect(validateValue("forwardedAllowIps", "")).toEqual([]);
  });

  it.each(["localhost", "10.0.0.0/33", "300.1.1.1", "1.2.3.4/8/9", "fe80:::1", "1:2:3:4:5:6:7:8:9", "::1::", "::fffff", 42])(
    "refuses the forwarded-allow-ips entry %j",
    (value) => {
      expect(configError(() => validateValue("forwardedAllowIps", value)).message).toMatch(
        /^option `forwardedAllowIps` must be addresses or CIDR ranges separated by commas/,
      );
    },
  );

  it("takes 0 to mean unlimited for the head limits, and refuses negatives", () => {
    for (const key of ["limitRequestLine", "limitRequestFields", "limitRequestFieldSize"] as const) {
      expect(validateValue(key, 0)).toBe(0);
      expect(configError(() => validateValue(key, -1)).message).toBe(`option \`${key}\` must be an integer >= 0, got \`-1\``);
    }
  });
});

describe("validateValue", () => {
  const good: [keyof Config, unknown, unknown][] = [
    ["app", "app.ts", "app.ts"],
    ["app", "/srv/app.ts:api", "/srv/app.ts:api"],
    ["workers", 1, 1],
    ["workers", 16, 16],
    ["workers", "4", 4],
    ["backlog", 1, 1],
    ["backlog", "2048", 2048],
    ["timeout", 0, 0],
    ["timeout", 30, 30],
    ["timeout", "2.5", 2.5],
    ["gracefulTimeout", 0, 0],
    ["gracefulTimeout", "10", 10],
    ["keepalive", 0.5, 0.5],
    ["keepalive", "5", 5],
    ["maxRequests", 0, 0],
    ["maxRequests", "1000", 1000],
    ["maxRequestsJitter", 0, 0],
    ["maxRequestsJitter", 50, 50],
    ["logLevel", "debug", "debug"],
    ["logLevel", "critical", "critical"],
    ["logLevel", "WARNING", "warning"],
    ["bind", "0.0.0.0:8080", [{ host: "0.0.0.0", port: 8080 }]],
    ["bind", ["127.0.0.1:8000", "[::1]:8001"], [{ host: "127.0.0.1", port: 8000 }, { host: "::1", port: 8001 }]],
    ["bind", { host: "localhost", port: 3000 }, [{ host: "localhost", port: 3000 }]],
    ["bind", ["a:1", { host: "b", port: 65535 }], [{ host: "a", port: 1 }, { host: "b", port: 65535 }]],
    ["user", "www-data", "www-data"],
    ["user", 1001, "1001"],
    ["group", "nogroup", "nogroup"],
    ["umask", "027", 0o027],
    ["umask", "0o077", 0o077],
    ["umask", "0022", 0o022],
    ["umask", 18, 18],
  ];

  it.each(good)("accepts %s = %j", (key, value, expected) => {
    expect(validateValue(key, value)).toEqual(expected);
  });

  const bad: [keyof Config, unknown, string][] = [
    ["app", "", "a module path"],
    ["app", "   ", "a module path"],
    ["app", 42, "a module path"],
    ["app", undefined, "a module path"],
    ["workers", 0, "an integer from 1 to 256"],
    ["workers", -1, "an integer from 1 to 256"],
    ["workers", 1.5, "an integer from 1 to 256"],
    ["workers", "two", "an integer from 1 to 256"],
    ["workers", "", "an integer from 1 to 256"],
    ["workers", null, "an integer from 1 to 256"],
    ["workers", true, "an integer from 1 to 256"],
    ["workers", 100_000, "an integer from 1 to 256"],
    ["workers", 257, "an integer from 1 to 256"],
    ["backlog", 0, "an integer >= 1"],
    ["backlog", "lots", "an integer >= 1"],
    ["timeout", -1, "a number of seconds >= 0"],
    ["timeout", "soon", "a number of seconds >= 0"],
    ["timeout", Number.POSITIVE_INFINITY, "a number of seconds >= 0"],
    ["gracefulTimeout", -0.5, "a number of seconds >= 0"],
    ["gracefulTimeout", "", "a number of seconds >= 0"],
    ["keepalive", Number.NaN, "a number of seconds >= 0"],
    ["keepalive", "5s", "a number of seconds >= 0"],
    ["maxRequests", -1, "an integer >= 0"],
    ["maxRequests", 10.5, "an integer >= 0"],
    ["maxRequestsJitter", -5, "an integer >= 0"],
    ["maxRequestsJitter", "some", "an integer >= 0"],
    ["logLevel", "verbose", "one of debug, info, warning, error, critical"],
    ["logLevel", "verbose", "one of debug, info, warning, error, critical"],
    ["workers", "0x10", "an integer from 1 to 256"],
    ["timeout", "1e3", "a number of seconds >= 0"],
    ["logLevel", 1, "one of debug, info, warning, error, critical"],
    ["bind", [], "at least one HOST:PORT"],
    ["bind", "localhost:0", "HOST:PORT"],
    ["bind", { host: "localhost", port: 70_000 }, "HOST:PORT"],
    ["bind", { host: "localhost" }, "HOST:PORT"],
    ["bind", null, "HOST:PORT"],
    ["bind", 8000, "HOST:PORT"],
    ["user", "bad user", "a user name or a numeric uid"],
    ["user", "../etc", "a user name or a numeric uid"],
    ["group", true, "a group name or a numeric gid"],
    ["umask", "089", "an octal mask such as 027 or 0o077"],
    ["umask", "rwx", "an octal mask such as 027 or 0o077"],
    ["umask", 0o1000, "an octal mask such as 027 or 0o077"],
  ];

  it.each(bad)("rejects %s = %j with a ConfigError naming the key and the value", (key, value, expected) => {
    const error = configError(() => validateValue(key, value));
    expect(error.key).toBe(key);
    expect(error.value).toBe(value);
    expect(error.expected).toContain(expected);
    expect(error.name).toBe("ConfigError");
    expect(error.message).toContain(`option \`${key}\``);
    expect(error.message).toContain(expected);
  });

  it("quotes the value in the message, strings as typed and other values as JSON", () => {
    expect(configError(() => validateValue("workers", 0)).message).toBe(
      "option `workers` must be an integer from 1 to 256, got `0`",
    );
    expect(configError(() => validateValue("workers", "two")).message).toBe(
      "option `workers` must be an integer from 1 to 256, got `two`",
    );
    expect(configError(() => validateValue("timeout", -1)).message).toBe(
      "option `timeout` must be a number of seconds >= 0, got `-1`",
    );
    expect(configError(() => validateValue("logLevel", "verbose")).message).toBe(
      "option `logLevel` must be one of debug, info, warning, error, critical, got `verbose`",
    );
    expect(configError(() => validateValue("bind", [])).message).toBe(
      "option `bind` must be at least one HOST:PORT, got `[]`",
    );
    expect(configError(() => validateValue("bind", { host: "a", port: 0 })).message).toContain(
      'got `{"host":"a","port":0}`',
    );
  });

  it("names the bad entry of a bind list, under the key `bind`", () => {
    const error = configError(() => validateValue("bind", ["127.0.0.1:8000", "127.0.0.1:99999"]));
    expect(error.key).toBe("bind");
    expect(error.value).toBe("127.0.0.1:99999");
    expect(error.message).toContain("got `127.0.0.1:99999`");
  });
});

describe("parseBind", () => {
  it.each([
    ["127.0.0.1:8000", { host: "127.0.0.1", port: 8000 }],
    ["0.0.0.0:80", { host: "0.0.0.0", port: 80 }],
    ["localhost:1", { host: "localhost", port: 1 }],
    ["example.com:65535", { host: "example.com", port: 65535 }],
    ["[::1]:8080", { host: "::1", port: 8080 }],
    ["[::]:443", { host: "::", port: 443 }],
    ["[fe80::1%eth0]:9000", { host: "fe80::1%eth0", port: 9000 }],
    ["fd://3", { fd: 3 }],
    ["fd://12", { fd: 12 }],
  ])("reads %s", (text, expected) => {
    expect(parseBind(text)).toEqual(expected);
  });

  it("formats an inherited socket by its number, or by the address it is known to listen on", () => {
    expect(formatListenUrl({ fd: 3 })).toBe("fd://3");
    expect(formatListenUrl({ fd: 3, name: "127.0.0.1:8000" })).toBe("http://127.0.0.1:8000");
    expect(formatListenUrl({ path: "/run/app.sock" })).toBe("unix:/run/app.sock");
  });

  it("gives a bare host port 8000", () => {
    expect(DEFAULT_BIND).toEqual({ host: "127.0.0.1", port: 8000 });
    expect(parseBind("0.0.0.0")).toEqual({ host: "0.0.0.0", port: 8000 });
    expect(parseBind("localhost")).toEqual({ host: "localhost", port: 8000 });
    expect(parseBind("[::1]")).toEqual({ host: "::1", port: 8000 });
  });

  it.each([
    "127.0.0.1:0",
    "127.0.0.1:65536",
    "127.0.0.1:99999",
    "127.0.0.1:-1",
    "127.0.0.1:",
    "127.0.0.1:http",
    "127.0.0.1:80.5",
    ":8000",
    "",
    "[::1]:0",
    "[::1]:65536",
    "fd://",
    "fd://2",
    "fd://three",
    "fd://-3",
  ])("rejects %j", (text) => {
    const error = configError(() => parseBind(text));
    expect(error.key).toBe("bind");
    expect(error.value).toBe(text);
    expect(error.message).toContain("option `bind`");
    expect(error.message).toContain(`got \`${text}\``);
    expect(error.message).toContain("PORT from 1 to 65535");
  });

  it("rejects a host with stray brackets", () => {
    for (const text of ["[]:8000", "[localhost:8000", "localhost]"]) {
      const error = configError(() => parseBind(text));
      expect(error.value).toBe(text);
      expect(error.message).toContain(`got \`${text}\``);
    }
  });

  it("asks for brackets around an IPv6 host", () => {
    for (const text of ["::1", "::1:8080", "fe80::1"]) {
      const error = configError(() => parseBind(text));
      expect(error.message).toContain("write IPv6 hosts in brackets");
      expect(error.message).toContain(`got \`${text}\``);
    }
  });

  it("reads unix:PATH as a unix socket, and refuses one without a path", () => {
    expect(parseBind("unix:/tmp/mgr.sock")).toEqual({ path: "/tmp/mgr.sock" });
    expect(formatAddress({ path: "/tmp/mgr.sock" })).toBe("unix:/tmp/mgr.sock");
    const error = configError(() => parseBind("unix:"));
    expect(error.value).toBe("unix:");
    expect(error.message).toContain("got `unix:`");
  });

  it("refuses a unix socket path longer than a unix socket allows, which Node would bind cut short", () => {
    const fits = `/${"d".repeat(99)}/a.sock`;
    expect(parseBind(`unix:${fits}`)).toEqual({ path: fits });
    const long = `/${"d".repeat(100)}/a.sock`;
    const error = configError(() => parseBind(`unix:${long}`));
    expect(error.message).toBe(
      "option `bind` must be unix:PATH with a PATH of at most 107 bytes, a unix socket's limit (this one has 108): " +
        `choose a shorter path, got \`unix:${long}\``,
    );
    expect(error.message).not.toContain("\n");
  });

  it("refuses the same path in a config file's bind, in the admin endpoint's address and in every bind given", () => {
    const long = `/${"d".repeat(110)}/a.sock`;
    expect(configError(() => validateValue("bind", [{ path: long }])).message).toContain("(this one has 118)");
    expect(configError(() => validateValue("bind", ["127.0.0.1:8000", `unix:${long}`])).message).toContain("(this one has 118)");
    expect(configError(() => validateValue("adminBind", `unix:${long}`)).key).toBe("adminBind");
  });

  it("names the key it is given", () => {
    const error = configError(() => parseBind("localhost:0", "--bind"));
    expect(error.key).toBe("--bind");
    expect(error.message).toContain("option `--bind`");
  });
});

describe("formatAddress", () => {
  it("writes addresses the way users type them", () => {
    expect(formatAddress({ host: "127.0.0.1", port: 8000 })).toBe("127.0.0.1:8000");
    expect(formatAddress({ host: "::1", port: 8000 })).toBe("[::1]:8000");
    expect(formatAddress(parseBind("[::]:80"))).toBe("[::]:80");
  });
});
