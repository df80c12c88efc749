/**
 * `mgr --help`.
 *
 * @module
 */

import { DEFAULT_BACKLOG, DEFAULT_GRACEFUL_TIMEOUT, DEFAULT_KEEPALIVE, DEFAULT_TIMEOUT } from "../core/config.ts";

/** The usage text, Gunicorn's options under the same names. */
export const HELP = `Usage: mgr [serve] APP [options]

Serve APP, a module whose default export is a fetch handler (a Hono app, or
\`export default { fetch }\`), from a supervised pool of worker processes.
APP may name an export: \`src/server.ts:app\`.

Options:
  -w, --workers INT            Worker processes to run.
                               [number of CPU cores, or $WEB_CONCURRENCY]
  -b, --bind ADDRESS           Address to listen on: HOST:PORT, [IPv6]:PORT or HOST.
                               Repeat to listen on several.
                               [127.0.0.1:8000, or 0.0.0.0:$PORT]
  -t, --timeout SECONDS        Kill and replace a worker silent for this long;
                               0 disables. [${DEFAULT_TIMEOUT}]
      --graceful-timeout SECONDS
                               Time a stopping worker has to finish its requests
                               before it is killed. [${DEFAULT_GRACEFUL_TIMEOUT}]
      --keepalive SECONDS      Time an idle keep-alive connection stays open. [${DEFAULT_KEEPALIVE}]
      --max-requests INT       Replace a worker after it has served this many
                               requests; 0 disables. [0]
      --max-requests-jitter INT
                               Add up to this many requests at random per worker,
                               so workers are not replaced all at once. [0]
      --backlog INT            Connections the kernel queues before they are
                               accepted. [${DEFAULT_BACKLOG}]
      --log-level LEVEL        debug, info, warning, error or critical. [info]
  -h, --help                   Show this help and exit.
  -v, --version                Show the version and exit.

Signals (to the master):
  TERM  graceful stop: finish in-flight requests, then exit
  INT, QUIT  quick stop          HUP  replace every worker, without downtime
  TTIN  one worker more          TTOU one worker fewer

Exit codes:
  0 stopped cleanly   1 could not listen   2 bad command line
  3 workers failed to boot   4 the app failed to load
`;
