/**
 * The admin endpoint's dashboard: one self-contained page (no CDN, no external file) that polls
 * `/status` every second and `/history` every two, draws the pool, the restarts and a chart of req/s
 * and p99, and posts `/reload` and `/scale` with the token the operator types (kept in the tab's
 * sessionStorage only). Laid out for a phone first.
 *
 * @module
 */

/** The dashboard page. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mgr</title>
<style>
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #f6f8fa; --card: #fff; --muted: #59636e; --line: #d1d9e0;
  --rps: #0969da; --p99: #bc4c00; --bad: #cf222e; --ok: #1a7f37; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --card: #161b22; --muted: #9198a1; --line: #30363d;
  --rps: #4493f8; --p99: #f0883e; --bad: #f85149; --ok: #3fb950; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header, main { max-width: 1100px; margin: 0 auto; padding: 12px; }
header { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: baseline; }
h1 { font-size: 20px; margin: 0; }
.muted { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 8px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
.card b { display: block; font-size: 22px; }
section { margin-top: 12px; }
.table { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-weight: 600; color: var(--muted); font-size: 13px; }
.state-ready { color: var(--ok); } .state-booting, .state-spare { color: var(--muted); }
.state-draining, .state-stopping, .state-retiring, .silent { color: var(--bad); }
canvas { width: 100%; height: 220px; display: block; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
.legend span { margin-right: 12px; } .rps { color: var(--rps); } .p99 { color: var(--p99); }
form { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
input, button { font: inherit; padding: 8px 10px; border-radius: 6px; border: 1px solid var(--line); background: var(--card); color: var(--fg); }
input[type=number] { width: 5em; }
button { cursor: pointer; min-height: 40px; }
#message { min-height: 1.4em; }
.error { color: var(--bad); }
</style>
</head>
<body>
<header>
  <h1>mgr</h1>
  <span id="master" class="muted">connecting…</span>
</header>
<main>
  <div class="cards">
    <div class="card"><span class="muted">Ready</span><b id="ready">-</b></div>
    <div class="card"><span class="muted">Requests</span><b id="requests">-</b></div>
    <div class="card"><span class="muted">req/s</span><b id="rps">-</b></div>
    <div class="card"><span class="muted">p99</span><b id="p99">-</b></div>
    <div class="card"><span class="muted">Restarts</span><b id="restarts">-</b></div>
    <div class="card"><span class="muted">Recycles</span><b id="recycles">-</b></div>
  </div>
  <section>
    <div class="legend muted"><span class="rps">&#9473; req/s</span><span class="p99">&#9473; p99 (ms)</span>up to 10 minutes</div>
    <canvas id="chart" width="1000" height="220" aria-label="Requests per second and p99 latency"></canvas>
  </section>
  <section>
    <div class="table"><table>
      <thead><tr><th>Slot</th><th>PID</th><th>State</th><th>Age</th><th>Served</th><th>In flight</th><th>RSS</th><th>Loop delay</th><th>Restarts</th><th>Last exit</th></tr></thead>
      <tbody id="pool"></tbody>
    </table></div>
  </section>
  <section>
    <form id="controls">
      <input id="token" type="password" autocomplete="off" placeholder="admin token" aria-label="Admin token">
      <button type="button" id="reload">Reload</button>
      <input id="workers" type="number" min="1" max="256" aria-label="Workers">
      <button type="button" id="scale">Scale</button>
    </form>
    <p id="message" class="muted"></p>
  </section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const tokenInput = $("token");
tokenInput.value = sessionStorage.getItem("mgr-token") || "";
tokenInput.addEventListener("change", () => sessionStorage.setItem("mgr-token", tokenInput.value));
const headers = () => (tokenInput.value ? { authorization: "Bearer " + tokenInput.value } : {});
const say = (text, error) => { $("message").textContent = text; $("message").className = error ? "error" : "muted"; };

function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000)), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? h + "h " + m + "m" : m ? m + "m " + (s % 60) + "s" : (s % 60) + "s";
}
const mb = (bytes) => (bytes > 0 ? (bytes / 1048576).toFixed(1) + " MB" : "-");
const sum = (record) => Object.values(record || {}).reduce((a, b) => a + b, 0);
function stateOf(w) {
  if (w.spare && w.state !== "draining" && w.state !== "stopping") return "spare";
  if (w.retiring && w.state === "ready") return "retiring";
  return w.state;
}
function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
}

async function getJson(path) {
  const response = await fetch(path, { headers: headers(), cache: "no-store" });
  if (response.status === 401) throw new Error("this endpoint wants the admin token: type it below");
  if (!response.ok) throw new Error(path + ": HTTP " + response.status);
  return response.json();
}

let workersTouched = false;
let startedAt = 0;
$("workers").addEventListener("input", () => (workersTouched = true));

async function refreshStatus() {
  try {
    const s = await getJson("status");
    startedAt = s.startedAt;
    $("master").textContent = "master " + s.pid + " (" + s.runtime + "), " + s.phase + ", up " + duration(s.now - s.startedAt);
    $("ready").textContent = s.ready + " / " + s.workers;
    const c = s.counters || {};
    $("requests").textContent = (c.requests ?? 0).toLocaleString();
    $("restarts").textContent = sum(c.restarts) + (c.oomKills ? " (" + c.oomKills + " OOM)" : "");
    $("recycles").textContent = String(sum(c.recycles));
    if (!workersTouched) $("workers").value = s.workers;
    const body = $("pool");
    body.replaceChildren();
    for (const w of s.pool) {
      const row = body.insertRow();
      row.dataset.pid = String(w.pid);
      const state = stateOf(w);
      cell(row, w.slot ?? "-");
      cell(row, String(w.pid));
      cell(row, state + (state === "ready" && !w.responsive ? " (silent)" : ""), "state-" + state + (state === "ready" && !w.responsive ? " silent" : ""));
      cell(row, duration(w.ageMs));
      cell(row, w.served.toLocaleString());
      cell(row, String(w.inFlight));
      cell(row, mb(w.rss));
      cell(row, w.loopDelayMs === undefined ? "-" : w.loopDelayMs.toFixed(1) + " ms");
      cell(row, String(w.restarts));
      cell(row, w.lastExit || "-");
    }
    document.body.dataset.updated = String(Date.now());
    if ($("message").className === "error" && /token|status/.test($("message").textContent)) say("");
  } catch (error) {
    say(error.message, true);
  }
}

function draw(all) {
  // A young master's chart starts when it did, not ten minutes before.
  const points = all.filter((p, i) => p.at + 2000 >= startedAt || i === all.length - 1);
  const canvas = $("chart"), ctx = canvas.getContext("2d");
  const ratio = window.devicePixelRatio || 1, width = canvas.clientWidth || 600, height = canvas.clientHeight || 220;
  canvas.width = width * ratio; canvas.height = height * ratio;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const style = getComputedStyle(document.documentElement);
  const pad = { left: 44, right: 44, top: 10, bottom: 20 };
  const w = width - pad.left - pad.right, h = height - pad.top - pad.bottom;
  const maxRps = Math.max(1, ...points.map((p) => p.requestsPerSecond));
  const maxP99 = Math.max(1, ...points.map((p) => p.p99Ms || 0));
  ctx.strokeStyle = style.getPropertyValue("--line"); ctx.fillStyle = style.getPropertyValue("--muted");
  ctx.font = "11px system-ui, sans-serif"; ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = pad.top + (h * i) / 4;
    ctx.beginPath(); ctx.moveTo(pad.left, y); ctx.lineTo(pad.left + w, y); ctx.stroke();
    ctx.textAlign = "right"; ctx.fillText(String(Math.round(maxRps * (1 - i / 4))), pad.left - 4, y + 4);
    ctx.textAlign = "left"; ctx.fillText((maxP99 * (1 - i / 4)).toFixed(1), pad.left + w + 4, y + 4);
  }
  const span = points.length ? (points[points.length - 1].at - points[0].at) / 1000 : 0;
  ctx.textAlign = "left"; ctx.fillText(span >= 60 ? "-" + Math.round(span / 60) + " min" : "-" + Math.round(span) + " s", pad.left, height - 4);
  ctx.textAlign = "right"; ctx.fillText("now", pad.left + w, height - 4);
  const x = (i) => pad.left + (points.length < 2 ? 0 : (w * i) / (points.length - 1));
  const line = (color, value, max) => {
    ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.beginPath();
    let open = false;
    points.forEach((p, i) => {
      const v = value(p);
      if (v === null) { open = false; return; }
      const y = pad.top + h - (h * v) / max;
      if (open) ctx.lineTo(x(i), y); else ctx.moveTo(x(i), y);
      open = true;
    });
    ctx.stroke();
  };
  line(style.getPropertyValue("--rps"), (p) => p.requestsPerSecond, maxRps);
  line(style.getPropertyValue("--p99"), (p) => p.p99Ms, maxP99);
  const last = points[points.length - 1];
  $("rps").textContent = last ? last.requestsPerSecond.toFixed(1) : "-";
  const lastP99 = [...points].reverse().find((p) => p.p99Ms !== null);
  $("p99").textContent = lastP99 ? lastP99.p99Ms.toFixed(1) + " ms" : "-";
  document.body.dataset.chart = "drawn";
}

async function refreshHistory() {
  try {
    draw(await getJson("history?minutes=10"));
  } catch (error) {
    say(error.message, true);
  }
}

async function post(path, body) {
  if (!tokenInput.value) return say("Type the admin token first: reload and scale need it.", true);
  sessionStorage.setItem("mgr-token", tokenInput.value);
  try {
    const response = await fetch(path, { method: "POST", headers: { ...headers(), "content-type": "application/json" }, body: JSON.stringify(body || {}) });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) return say(answer.error || "HTTP " + response.status, true);
    say(path === "reload" ? "Reloading: new workers replace the old ones as they become ready" : "Scaling to " + body.workers + " workers");
    workersTouched = false;
    refreshStatus();
  } catch (error) {
    say(error.message, true);
  }
}
$("reload").addEventListener("click", () => post("reload"));
$("scale").addEventListener("click", () => post("scale", { workers: Number($("workers").value) }));
window.addEventListener("resize", refreshHistory);

refreshStatus();
refreshHistory();
setInterval(refreshStatus, 1000);
setInterval(refreshHistory, 2000);
</script>
</body>
</html>
`;
