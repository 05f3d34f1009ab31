// Nissa's dashboard: a hash-routed single-page app over Nissa's JSON API. The URL holds the view
// (#/<page>?<filters>), so any view can be bookmarked or shared; a bad parameter in it shows a
// message, never a blank page. Live updates come from one Server-Sent Events stream
// (/api/v1/stream); pages re-read the API at most every few seconds on its "counters" beat.
// Every value from Nissa goes into the page as text (textContent), never as markup.
"use strict";

const PAGES = ["overview", "explorer", "alerts", "reports", "sessions"];
const WINDOWS = { "5m": 5 * 60e3, "15m": 15 * 60e3, "1h": 3600e3, "6h": 6 * 3600e3, "24h": 24 * 3600e3, "7d": 7 * 24 * 3600e3 };
const SEVERITIES = ["debug", "info", "warning", "high", "critical"];
const REFRESH_MS = 5000;

// ---- small helpers -------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// append/replaceChildren that skip null, undefined and false (the DOM's would print "null").
function put(parent, ...kids) { parent.append(...kids.flat().filter((k) => k !== null && k !== undefined && k !== false)); return parent; }
function replace(parent, ...kids) { parent.replaceChildren(); return put(parent, ...kids); }

class UrlError extends Error {}

function showError(message) {
  const box = document.getElementById("error");
  box.textContent = message;
  box.hidden = false;
}
function clearError() {
  const box = document.getElementById("error");
  box.textContent = "";
  box.hidden = true;
}

async function api(path) {
  let res;
  try {
    res = await fetch(path, { headers: { Accept: "application/json" } });
  } catch (e) {
    throw new Error(`Nissa did not answer ${path}: ${e.message}`);
  }
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) {
    const what = body && body.error ? body.error : res.statusText;
    const param = body && body.parameter ? ` (parameter '${body.parameter}')` : "";
    throw new Error(`${path.split("?")[0]} answered ${res.status}: ${what}${param}`);
  }
  return body;
}

function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") u.set(k, v);
  const s = u.toString();
  return s ? "?" + s : "";
}

function fmt(v, unit) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  const a = Math.abs(v);
  let s = a >= 1e9 ? (v / 1e9).toFixed(2) + "G" : a >= 1e6 ? (v / 1e6).toFixed(2) + "M" : a >= 1e4 ? (v / 1e3).toFixed(1) + "k"
        : Number(v.toPrecision(4)).toString();
  if (unit === "bytes" || unit === "By") s = a >= 1 << 20 ? (v / (1 << 20)).toFixed(1) + " MiB" : a >= 1024 ? (v / 1024).toFixed(1) + " KiB" : v + " B";
  else if (unit) s += " " + unit;
  return s;
}
function when(ms) { return new Date(ms).toLocaleString(); }
function sev(s) { return h("span", { class: "sev-" + String(s).toLowerCase() }, String(s).toUpperCase()); }
function attrText(attrs) { return Object.entries(attrs || {}).map(([k, v]) => `${k}=${v}`).join(" "); }

// ---- routing: #/<page>?<params> --------------------------------------------------------------

function currentRoute() {
  const hash = location.hash.replace(/^#\/?/, "");
  const q = hash.indexOf("?");
  const page = (q < 0 ? hash : hash.slice(0, q)) || "overview";
  const params = new URLSearchParams(q < 0 ? "" : hash.slice(q + 1));
  return { page, params };
}
function go(page, params, replace) {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") s.set(k, v);
  const target = "#/" + page + (s.toString() ? "?" + s.toString() : "");
  if (replace) history.replaceState(null, "", target); else location.hash = target;
  if (replace) render();
}
// The parameters a page takes; anything else in the URL is an error the user sees.
function checkParams(params, allowed, page) {
  for (const k of params.keys()) {
    if (!allowed.includes(k) && !(allowed.includes("attr.*") && k.startsWith("attr."))) {
      throw new UrlError(`Unknown URL parameter '${k}' for the ${page} page; it takes: ${allowed.join(", ")}.`);
    }
  }
}
function checkChoice(params, name, choices, fallback) {
  const v = params.get(name);
  if (v === null || v === "") return fallback;
  if (!choices.includes(v)) throw new UrlError(`Bad URL parameter ${name}='${v}': expected one of ${choices.join(", ")}.`);
  return v;
}
function checkInt(params, name) {
  const v = params.get(name);
  if (v === null || v === "") return null;
  if (!/^\d+$/.test(v)) throw new UrlError(`Bad URL parameter ${name}='${v}': expected a whole number (ms since the epoch).`);
  return Number(v);
}

// ---- live stream -------------------------------------------------------------------------------

const live = { source: null, listeners: new Set(), lastCounters: null };
function startLive() {
  const badge = document.getElementById("live");
  const es = new EventSource("/api/v1/stream");
  live.source = es;
  const dispatch = (type) => (msg) => {
    let data;
    try { data = JSON.parse(msg.data); } catch (e) { return; }
    if (type === "counters" || type === "hello") live.lastCounters = data;
    for (const fn of live.listeners) { try { fn(type, data); } catch (e) { showError(String(e.message || e)); } }
  };
  for (const t of ["hello", "counters", "events", "alerts"]) es.addEventListener(t, dispatch(t));
  es.onopen = () => { badge.textContent = "live"; badge.className = "live on"; };
  es.onerror = () => { badge.textContent = "live: reconnecting"; badge.className = "live off"; };
}
function onLive(fn) { live.listeners.add(fn); return () => live.listeners.delete(fn); }

// A page's refresh on the live beat, at most every REFRESH_MS.
function throttledRefresh(fn) {
  let last = Date.now();
  return (type) => {
    if (type !== "counters") return;
    if (Date.now() - last < REFRESH_MS) return;
    last = Date.now();
    fn();
  };
}

// ---- pages ------------------------------------------------------------------------------------

let cleanup = [];
function onLeave(fn) { cleanup.push(fn); }

function card(title, id, ...body) { return h("section", { class: "card", id }, h("h2", {}, title), ...body); }

function eventItem(e) {
  return h("li", { dataset: { seq: e.seq, severity: e.severity } }, sev(e.severity), " ", h("b", {}, e.event_id), " ",
           h("span", { class: "muted" }, `${e.source} · ${when(e.time_ms)}`), h("div", {}, e.description || ""),
           Object.keys(e.attributes || {}).length ? h("div", { class: "muted" }, attrText(e.attributes)) : null);
}
// firing (since it was raised), resolved (since when), or unknown (raised before Nissa restarted).
function alertStateText(a) {
  if (a.state === "resolved") return `resolved ${when(a.since_ms)}`;
  if (a.state === "unknown") return "state unknown (raised before a restart)";
  return "firing";
}
function alertItem(a) {
  return h("li", { dataset: { id: a.id, severity: a.severity, state: a.state } }, sev(a.severity), " ", h("b", {}, a.rule), " ",
           h("span", { class: "state-" + a.state }, alertStateText(a)), " ",
           h("span", { class: "muted" }, `${a.kind} · ${a.source} ${a.metric} · ${when(a.time_ms)}`),
           h("div", {}, a.message || ""));
}
// Newest first; live items go on top, deduplicated by seq/id.
function prepend(list, item, max) {
  list.insertBefore(item, list.firstChild);
  while (list.children.length > max) list.removeChild(list.lastChild);
  const empty = list.querySelector(".empty"); if (empty) empty.remove();
}

// Per group, a counter's increase per second over its last few complete rollup buckets (the
// current, unfinished one only while there is no other), so a young pipeline is not averaged
// over minutes it did not run.
async function recentRates(metric, source, groupBy) {
  const b = await bucketMs();
  const r = await api("/api/v1/rollups" + qs({ metric, source, group_by: groupBy, window: "5m", step: b / 1000 + "s" }));
  const now = Date.now(), out = {};
  for (const g of r.groups) {
    const pts = g.points || [];
    const complete = pts.filter((p) => p.t_ms + b <= now).slice(-5);
    let rate = 0;
    if (complete.length) rate = complete.reduce((a, p) => a + p.increase, 0) / (complete.length * b / 1000);
    else if (pts.length) rate = pts[pts.length - 1].increase / Math.max(1, (now - pts[pts.length - 1].t_ms) / 1000);
    out[groupBy ? g.group[groupBy] : ""] = rate;
  }
  return out;
}

async function overviewPage(root, params) {
  checkParams(params, [], "overview");
  const services = h("table", { id: "services" });
  const lanes = h("table", { id: "lanes" });
  const subscribers = h("table", { id: "subscribers" });
  const nissa = h("table", { id: "nissa" });
  const ingest = h("div", { id: "ingest-rate", class: "big", dataset: { value: "" } }, "…");
  const emergencies = h("ul", { id: "emergencies", class: "list" }, h("li", { class: "empty muted" }, "none yet"));
  const alerts = h("ul", { id: "open-alerts", class: "list" }, h("li", { class: "empty muted" }, "none firing"));
  // Re-read on the live beat: an alert leaves this list when its rule re-arms (resolved).
  async function openAlerts() {
    const al = await api("/api/v1/alerts?state=firing&limit=20");
    replace(alerts, al.alerts.length ? al.alerts.slice().reverse().map(alertItem) : h("li", { class: "empty muted" }, "none firing"));
  }
  root.append(h("div", { class: "grid" },
    card("Services (Weatherlight)", "card-services", services),
    card("Nissa", "card-nissa", h("div", { class: "muted" }, "ingest rate (last complete buckets)"), ingest, nissa),
    card("Bus lanes (Oona)", "card-lanes", lanes),
    card("Subscribers (Oona)", "card-subscribers", subscribers),
    card("Emergencies (HIGH and CRITICAL events)", "card-emergencies", emergencies),
    card("Open alerts (firing, newest first)", "card-alerts", alerts)));

  const last = (rows, metric) => {
    const out = {};
    for (const s of rows.series) if (s.metric === metric) out[JSON.stringify(s.attributes)] = s;
    return Object.values(out);
  };
  async function refresh() {
    const [wl, oona, own, rate, lanesRate, pending] = await Promise.all([
      api("/api/v1/series?source=weatherlight&limit=2000"), api("/api/v1/series?source=oona&limit=2000"),
      api("/api/v1/series?source=nissa&limit=2000"),
      recentRates("nissa.ingested_total", "nissa", ""), recentRates("oona.routed_total", "oona", "lane"),
      api("/api/v1/rollups?metric=tamiyo.field_reports.pending_total&window=5m")]);
    services.replaceChildren(h("tr", {}, h("th", {}, "service"), h("th", {}, "state"), h("th", {}, "restarts")));
    const restarts = {};
    for (const s of last(wl, "weatherlight.restarts_total")) restarts[s.attributes.service] = s.last;
    for (const s of last(wl, "weatherlight.service_up").sort((a, b) => a.attributes.service.localeCompare(b.attributes.service))) {
      const up = s.last >= 1;
      services.append(h("tr", { dataset: { service: s.attributes.service, up: up ? "1" : "0" } },
        h("td", {}, s.attributes.service), h("td", { class: up ? "up" : "down" }, up ? "up" : "DOWN"),
        h("td", { class: "num" + (restarts[s.attributes.service] > 0 ? " sev-warning" : "") }, fmt(restarts[s.attributes.service] || 0))));
    }
    if (services.children.length === 1) services.append(h("tr", {}, h("td", { colspan: 3, class: "muted" }, "no weatherlight telemetry (is Nissa run under weatherlight?)")));

    lanes.replaceChildren(h("tr", {}, h("th", {}, "lane"), h("th", {}, "routed/s"), h("th", {}, "queue depth"), h("th", {}, "dropped")));
    const depth = {}, dropped = {};
    for (const s of last(oona, "oona.queue_depth")) depth[s.attributes.lane] = s.last;
    for (const s of last(oona, "oona.dropped_total")) dropped[s.attributes.lane] = (dropped[s.attributes.lane] || 0) + s.last;
    for (const lane of Object.keys(lanesRate).sort()) {
      lanes.append(h("tr", { dataset: { lane } }, h("td", {}, lane), h("td", { class: "num" }, fmt(lanesRate[lane])),
        h("td", { class: "num" }, fmt(depth[lane])), h("td", { class: "num" + (dropped[lane] > 0 ? " sev-high" : "") }, fmt(dropped[lane] || 0))));
    }
    subscribers.replaceChildren(h("tr", {}, h("th", {}, "subscriber"), h("th", {}, "lane"), h("th", {}, "queue"), h("th", {}, "dropped")));
    const subDrops = {};
    for (const s of last(oona, "oona.subscriber_dropped_total")) {
      const k = s.attributes.subscriber + "|" + s.attributes.lane; subDrops[k] = (subDrops[k] || 0) + s.last;
    }
    for (const s of last(oona, "oona.subscriber_queue_depth")) {
      const k = s.attributes.subscriber + "|" + s.attributes.lane;
      subscribers.append(h("tr", {}, h("td", {}, s.attributes.subscriber), h("td", {}, s.attributes.lane),
        h("td", { class: "num" }, fmt(s.last)), h("td", { class: "num" + (subDrops[k] > 0 ? " sev-high" : "") }, fmt(subDrops[k] || 0))));
    }

    const r = rate[""] || 0;
    ingest.textContent = fmt(r) + " ingested/s";
    ingest.dataset.value = String(r);
    const own1 = (m) => { const s = last(own, m); return s.length ? s.reduce((a, b) => a + (b.last || 0), 0) : null; };
    const pend = pending.groups[0];
    nissa.replaceChildren(
      h("tr", {}, h("th", {}, "WAL size"), h("td", { class: "num" }, fmt(own1("nissa.wal_bytes"), "bytes"))),
      h("tr", {}, h("th", {}, "series"), h("td", { class: "num" }, fmt(own1("nissa.series")))),
      h("tr", {}, h("th", {}, "field reports stored"), h("td", { class: "num", id: "reports-stored" }, fmt(own1("nissa.field_reports_stored")))),
      h("tr", {}, h("th", {}, "duplicates acknowledged"), h("td", { class: "num" }, fmt(own1("nissa.field_reports_duplicate_total")))),
      h("tr", {}, h("th", {}, "pending in issuers' outboxes"), h("td", { class: "num" }, pend && pend.count ? fmt(pend.mean) : "–")));
  }
  const shownEvents = new Set();
  const refreshOnBeat = throttledRefresh(() => Promise.all([refresh(), openAlerts()]).catch((e) => showError(e.message)));
  onLeave(onLive((type, data) => {
    refreshOnBeat(type);
    if (type === "events") {
      for (const e of data.events) {
        if (shownEvents.has(e.seq) || !["HIGH", "CRITICAL"].includes(String(e.severity).toUpperCase())) continue;
        shownEvents.add(e.seq); prepend(emergencies, eventItem(e), 20);
      }
    } else if (type === "alerts") {
      openAlerts().catch((e) => showError(e.message));
    }
  }));
  const ev = await api("/api/v1/events?min_severity=high&limit=20");
  for (const e of ev.events) { shownEvents.add(e.seq); prepend(emergencies, eventItem(e), 20); }
  await Promise.all([refresh(), openAlerts()]);
  root.dataset.loaded = "1";
}

// Up to this many other metrics drawn over the chosen one (overlay=<metric>@<source>,...).
const MAX_OVERLAYS = 2;
function parseOverlay(text, metric) {
  if (!text) return [];
  if (!metric) throw new UrlError("URL parameter overlay needs a metric to draw over.");
  const out = text.split(",").map((part) => {
    const at = part.lastIndexOf("@");
    const m = at < 0 ? part : part.slice(0, at), s = at < 0 ? "" : part.slice(at + 1);
    if (!m) throw new UrlError(`Bad URL parameter overlay='${text}': expected <metric>@<source>, comma-separated.`);
    return { metric: m, source: s };
  });
  if (out.length > MAX_OVERLAYS) throw new UrlError(`Bad URL parameter overlay='${text}': at most ${MAX_OVERLAYS} metrics over the chosen one.`);
  return out;
}
function overlayText(list) { return list.map((o) => `${o.metric}@${o.source}`).join(","); }

// Series explorer: #/explorer?metric=&source=&attr.k=v&group_by=&overlay=m@s,...&window=|from=&to=&q=&offset=
// The chosen metric is filtered and grouped; overlays are other metrics drawn on the same chart (one
// line each, on a second y axis when their unit differs), all held in the URL.
async function explorerPage(root, params) {
  checkParams(params, ["metric", "source", "group_by", "overlay", "window", "from", "to", "q", "offset", "attr.*"], "explorer");
  const windowName = checkChoice(params, "window", Object.keys(WINDOWS), "1h");
  const from = checkInt(params, "from"), to = checkInt(params, "to");
  if ((from === null) !== (to === null)) throw new UrlError("URL parameters from and to go together (ms since the epoch).");
  if (from !== null && !(to > from)) throw new UrlError(`Bad URL time range: to (${to}) must be after from (${from}).`);
  if (from !== null && params.has("window")) throw new UrlError("Give either window or from/to in the URL, not both.");
  const offset = params.get("offset") === null ? 0 : checkInt(params, "offset");
  const metric = params.get("metric") || "";
  const source = params.get("source") || "";
  const groupBy = params.get("group_by") || "";
  const q = params.get("q") || "";
  const overlays = parseOverlay(params.get("overlay") || "", metric);
  const attrs = {};
  for (const [k, v] of params.entries()) if (k.startsWith("attr.")) attrs[k] = v;
  const state = () => {
    const o = { metric, source, group_by: groupBy, overlay: overlayText(overlays), q, offset: offset || "", ...attrs };
    if (from !== null) { o.from = from; o.to = to; } else o.window = windowName;
    return o;
  };

  const search = h("input", { id: "metric-search", type: "search", placeholder: "search metric names", value: q });
  const list = h("ul", { id: "metric-list", class: "list metric-list" });
  const pager = h("div", { class: "pager" });
  const picker = h("div", { id: "picker" });
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "chart"); svg.id = "chart";
  const legend = h("div", { class: "legend", id: "legend" });
  const named = (m, s) => `${m}${s ? " · " + s : ""}`;
  const title = h("h2", { id: "chart-title" }, metric ? [named(metric, source), ...overlays.map((o) => named(o.metric, o.source))].join("  +  ")
                                                      : "pick a metric on the left");
  const windows = h("div", { class: "pager" }, "window: ",
    ...Object.keys(WINDOWS).map((w) => h("button", { type: "button", class: w === windowName && from === null ? "active" : "",
      onclick: () => go("explorer", { ...state(), from: "", to: "", window: w }) }, w)),
    from !== null ? h("button", { type: "button", id: "unzoom", onclick: () => go("explorer", { ...state(), from: "", to: "", window: "1h" }) }, "reset zoom") : null,
    h("span", { class: "muted" }, " drag across the chart to zoom"));
  put(root, h("div", { class: "explorer" },
    h("div", { class: "card" }, h("form", { class: "filters", onsubmit: (ev) => { ev.preventDefault(); go("explorer", { ...state(), q: search.value, offset: "" }); } },
      search, h("button", {}, "search")), pager, list),
    h("div", {}, h("div", { class: "chart-wrap" }, title, windows, picker, svg, legend))));

  // One page of names, searched by Nissa (never every series).
  const found = await api("/api/v1/metrics/search" + qs({ q, offset, limit: 50 }));
  const onChart = (m) => (m.metric === metric && m.source === source) || overlays.some((o) => o.metric === m.metric && o.source === m.source);
  list.replaceChildren(...found.metrics.map((m) => h("li", {
    class: onChart(m) ? "chosen" : "",
    onclick: () => go("explorer", { metric: m.metric, source: m.source, window: windowName, q, offset: offset || "" }),
  }, h("b", {}, m.metric), " ", h("span", { class: "muted" }, `${m.source} · ${m.kind}${m.unit ? " · " + m.unit : ""} · ${m.series} series`),
  metric && !onChart(m) && overlays.length < MAX_OVERLAYS
    ? h("button", { type: "button", class: "add-overlay", title: "draw it on this chart too",
                    onclick: (ev) => { ev.stopPropagation(); go("explorer", { ...state(), overlay: overlayText([...overlays, { metric: m.metric, source: m.source }]) }); } }, "+ chart")
    : null)));
  if (!found.metrics.length) list.append(h("li", { class: "muted" }, "no metric matches"));
  put(pager, h("span", { class: "muted" }, `${found.matched} matching, ${offset + 1}–${offset + found.metrics.length}`),
    offset > 0 ? h("button", { type: "button", onclick: () => go("explorer", { ...state(), offset: Math.max(0, offset - 50) || "" }) }, "◀") : null,
    offset + found.metrics.length < found.matched ? h("button", { type: "button", onclick: () => go("explorer", { ...state(), offset: offset + 50 }) }, "▶") : null);
  if (!metric) { root.dataset.loaded = "1"; return; }

  // The attributes of this metric's series (a bounded sample), to filter and group by.
  const sample = await api("/api/v1/series" + qs({ metric, source, limit: 500 }));
  const values = {};
  let unit = "", kind = "gauge";
  for (const s of sample.series) {
    unit = s.unit; kind = s.kind;
    for (const [k, v] of Object.entries(s.attributes)) (values[k] = values[k] || new Set()).add(v);
  }
  const keys = Object.keys(values).sort();
  if (groupBy && groupBy !== "source" && !keys.includes(groupBy)) {
    throw new UrlError(`Bad URL parameter group_by='${groupBy}': ${metric} has no such attribute (it has: ${keys.join(", ") || "none"}).`);
  }
  picker.append(h("form", { class: "filters", onchange: (ev) => {
    const f = ev.currentTarget, next = { ...state() };
    for (const k of keys) { delete next["attr." + k]; const v = f.elements["attr." + k].value; if (v) next["attr." + k] = v; }
    next.group_by = f.elements.group_by.value;
    go("explorer", next);
  } },
  ...keys.map((k) => h("label", {}, k, h("select", { name: "attr." + k },
    h("option", { value: "" }, "any"), ...[...values[k]].sort().map((v) => h("option", { value: v, selected: attrs["attr." + k] === v }, v))))),
  h("label", {}, "group by", h("select", { name: "group_by" }, h("option", { value: "" }, "none"),
    ...keys.map((k) => h("option", { value: k, selected: groupBy === k }, k))))));

  // Each overlay's unit (from one of its series), which picks its axis: the chosen metric's unit is
  // the left one, the first other unit the right one; a third unit has no axis to go on.
  const units = [unit];
  const overlayInfo = [];
  for (const o of overlays) {
    const s = await api("/api/v1/series" + qs({ metric: o.metric, source: o.source, limit: 1 }));
    const u = s.series.length ? s.series[0].unit : "";
    if (!units.includes(u)) units.push(u);
    if (units.length > 2) {
      throw new UrlError(`Bad URL parameter overlay: ${o.metric} is in '${u}', and this chart already has two units (${units.slice(0, 2).join(", ")}).`);
    }
    overlayInfo.push({ ...o, unit: u, axis: units.indexOf(u), found: s.series.length > 0 });
  }

  async function drawChart() {
    const span = from !== null ? to - from : WINDOWS[windowName];
    // About 150 points across, whole minutes or more (Nissa's rollup bucket is the floor).
    const bucketGuess = await bucketMs();
    const step = Math.max(bucketGuess, Math.ceil(span / 150 / bucketGuess) * bucketGuess);
    const range = from !== null ? { from, to } : { window: windowName };
    const rollupUrl = "/api/v1/rollups" + qs({ metric, source, group_by: groupBy, ...range, step: step / 1000 + "s", ...attrs });
    const [r, ...others] = await Promise.all([api(rollupUrl),
      ...overlayInfo.map((o) => api("/api/v1/rollups" + qs({ metric: o.metric, source: o.source, ...range, step: step / 1000 + "s" })))]);
    const means = r.groups.map((g) => ({
      label: Object.keys(g.group).length ? attrText(g.group) : metric,
      points: g.points.filter((p) => p.mean !== null).map((p) => ({ t: p.t_ms + step / 2, v: p.mean })),
      band: kind === "histogram" ? g.points.filter((p) => p.p50 !== null && p.p99 !== null).map((p) => ({ t: p.t_ms + step / 2, lo: p.p50, hi: p.p99 })) : null,
    }));
    // An overlay is one line: its series merged (no filters or grouping of its own).
    const overlayLines = overlayInfo.map((o, k) => ({
      label: named(o.metric, o.source) + (units.length > 1 ? (o.axis ? " (right axis)" : " (left axis)") : ""), axis: o.axis, overlay: o,
      points: (others[k].groups[0] ? others[k].groups[0].points : []).filter((p) => p.mean !== null).map((p) => ({ t: p.t_ms + step / 2, v: p.mean })),
    }));
    // Histograms: the mean, its p50–p99 band and a dashed p95 line, per group.
    const lines = [];
    means.forEach((m, k) => {
      lines.push(m);
      if (kind === "histogram") {
        lines.push({ label: m.label + " p95", dashed: true,
                     points: r.groups[k].points.filter((p) => p.p95 !== null).map((p) => ({ t: p.t_ms + step / 2, v: p.p95 })) });
      }
    });
    lines.push(...overlayLines);
    const axisUnits = units.map((u, k) => (k === 0 ? u + (kind === "counter" ? " (mean per step)" : "") : u));
    EsperChart.draw(svg, { lines, units: axisUnits, from: r.from_ms, to: r.to_ms,
      onZoom: (a, b) => go("explorer", { ...state(), window: "", from: a, to: b }) });
    svg.dataset.metric = metric;
    svg.dataset.metrics = [metric, ...overlays.map((o) => o.metric)].join(",");
    svg.dataset.rollupUrl = rollupUrl;  // What the chart drew, for a test (or a curious operator) to compare.
    svg.dataset.window = from !== null ? `${from}-${to}` : windowName;
    const shown = [...means, ...overlayLines];
    replace(legend, ...shown.map((l) => h("span", { class: l.overlay ? "overlay" : "" }, h("i", {}), `${l.label} (${l.points.length} points)`,
      l.overlay ? h("button", { type: "button", class: "remove-overlay", title: "take it off this chart",
                                onclick: () => go("explorer", { ...state(), overlay: overlayText(overlays.filter((o) => !(o.metric === l.overlay.metric && o.source === l.overlay.source))) }) }, "✕") : null)),
      kind === "histogram" ? h("span", { class: "muted" }, "band: p50–p99, dashed: p95") : null,
      ...overlayInfo.filter((o) => !o.found).map((o) => h("span", { class: "muted" }, `${named(o.metric, o.source)}: no such series`)));
    legend.querySelectorAll("i").forEach((i, k) => { i.style.background = shown[k].color; });
    root.dataset.loaded = "1";
  }
  await drawChart();
  if (from === null) {  // A fixed (zoomed) range does not move; a window follows the live beat.
    onLeave(onLive(throttledRefresh(() => drawChart().catch((e) => showError(e.message)))));
  }
}

let cachedBucket = null;
async function bucketMs() {
  if (cachedBucket) return cachedBucket;
  const r = await api("/api/v1/rollups?metric=nissa.series&source=nissa&window=5m");
  cachedBucket = r.bucket_ms || 60000;
  return cachedBucket;
}

// Alerts and events: #/alerts?min_severity=&source=&rule=
async function alertsPage(root, params) {
  checkParams(params, ["min_severity", "source", "rule"], "alerts");
  const minSev = checkChoice(params, "min_severity", SEVERITIES, "info");
  const source = params.get("source") || "", rule = params.get("rule") || "";
  const form = h("form", { class: "filters", onsubmit: (ev) => {
    ev.preventDefault(); const f = ev.currentTarget;
    go("alerts", { min_severity: f.elements.min_severity.value, source: f.elements.source.value, rule: f.elements.rule.value });
  } },
  h("label", {}, "min severity", h("select", { name: "min_severity" }, ...SEVERITIES.map((s) => h("option", { value: s, selected: s === minSev }, s)))),
  h("label", {}, "source", h("input", { name: "source", value: source })),
  h("label", {}, "alert rule", h("input", { name: "rule", value: rule })),
  h("button", {}, "filter"));
  const events = h("ul", { id: "event-stream", class: "list" });
  const alerts = h("ul", { id: "alert-log", class: "list" });
  root.append(form, h("div", { class: "grid" }, card("Alert log", "card-alert-log", alerts), card("Event stream", "card-event-stream", events)));
  const sevRank = (s) => SEVERITIES.indexOf(String(s).toLowerCase());
  const shownE = new Set(), shownA = new Set();
  const addEvent = (e) => {
    if (shownE.has(e.seq) || sevRank(e.severity) < sevRank(minSev) || (source && e.source !== source)) return;
    shownE.add(e.seq); prepend(events, eventItem(e), 500);
  };
  const addAlert = (a) => {
    if (shownA.has(a.id) || sevRank(a.severity) < sevRank(minSev) || (rule && a.rule !== rule) || (source && a.source !== source)) return;
    shownA.add(a.id); prepend(alerts, alertItem(a), 500);
  };
  onLeave(onLive((type, data) => {
    if (type === "events") data.events.forEach(addEvent);
    if (type === "alerts") data.alerts.forEach(addAlert);
  }));
  const [ev, al] = await Promise.all([api("/api/v1/events" + qs({ min_severity: minSev, source, limit: 200 })),
                                      api("/api/v1/alerts" + qs({ min_severity: minSev, rule, limit: 200 }))]);
  ev.events.forEach(addEvent); al.alerts.forEach(addAlert);
  if (!events.children.length) events.append(h("li", { class: "empty muted" }, "no events match"));
  if (!alerts.children.length) alerts.append(h("li", { class: "empty muted" }, "no alerts match"));
  root.dataset.loaded = "1";
}

// Field reports: #/reports?id=&outcome=&source=&offset=  (Nissa filters by outcome and source)
const OUTCOMES = ["success", "neutral", "regression", "aborted", "unspecified"];
async function reportsPage(root, params) {
  checkParams(params, ["id", "outcome", "source", "offset"], "reports");
  const id = params.get("id") || "", source = params.get("source") || "";
  const outcome = checkChoice(params, "outcome", OUTCOMES, "");
  const filters = { outcome, source };
  const page = 200;
  // Without an offset, the newest page of the matching reports (Nissa lists them in the order it stored them).
  let offset = params.get("offset") === null ? null : checkInt(params, "offset");
  if (offset === null) offset = id ? 0 : Math.max(0, (await api("/api/v1/field_reports" + qs({ ...filters, limit: 1 }))).matched - page);
  const form = h("form", { class: "filters", onsubmit: (ev) => {
    ev.preventDefault(); const f = ev.currentTarget;
    go("reports", { id: f.elements.id.value, outcome: f.elements.outcome.value, source: f.elements.source.value });
  } },
  h("label", {}, "report id (exact)", h("input", { name: "id", value: id })),
  h("label", {}, "outcome", h("select", { name: "outcome" }, h("option", { value: "" }, "any"),
    ...OUTCOMES.map((o) => h("option", { value: o, selected: o === outcome }, o)))),
  h("label", {}, "source", h("input", { name: "source", value: source })), h("button", {}, "search"));
  const table = h("table", { id: "reports" });
  const pager = h("div", { class: "pager" });
  root.append(form, h("div", { class: "card" }, pager, table));
  const r = await api("/api/v1/field_reports" + qs(id ? { report_id: id, ...filters } : { ...filters, offset, limit: page }));
  const rows = r.field_reports.slice().sort((a, b) => Number(b.durable_at_unix_ns) - Number(a.durable_at_unix_ns));  // Newest first.
  table.append(h("tr", {}, ...["report id", "source", "outcome", "command", "metrics", "issued", "durable at"].map((t) => h("th", {}, t))));
  for (const f of rows) {
    const rep = f.report;
    table.append(h("tr", {}, h("td", {}, rep.report_id), h("td", {}, f.source), h("td", {}, rep.outcome || "–"), h("td", {}, rep.command_id || ""),
      h("td", {}, attrText(rep.metrics)), h("td", {}, rep.issued_at_unix_ns ? when(Number(rep.issued_at_unix_ns) / 1e6) : "–"),
      h("td", {}, when(Number(f.durable_at_unix_ns) / 1e6))));
  }
  if (!rows.length) table.append(h("tr", {}, h("td", { colspan: 7, class: "muted" }, id ? `no stored report '${id}'` : "no stored report matches")));
  const filtered = outcome || source ? ` matching${outcome ? " outcome " + outcome : ""}${source ? " source " + source : ""}` : "";
  put(pager, h("span", { class: "muted", id: "reports-count", dataset: { matched: r.matched } }, id ? `${r.total} stored in all` :
    `${r.total} stored, ${r.matched}${filtered}; showing ${r.field_reports.length ? offset + 1 : 0}–${offset + r.field_reports.length}`),
    !id && offset > 0 ? h("button", { type: "button", onclick: () => go("reports", { ...filters, offset: Math.max(0, offset - page) }) }, "◀ older") : null,
    !id && offset + r.field_reports.length < r.matched ? h("button", { type: "button", onclick: () => go("reports", { ...filters, offset: offset + page }) }, "newer ▶") : null);
  root.dataset.loaded = "1";
}

// Sessions: #/sessions?view=sla|gpu|network&window=
async function sessionsPage(root, params) {
  checkParams(params, ["view", "window"], "sessions");
  const views = { sla: "/api/v1/views/sla/compliance", gpu: "/api/v1/views/gpu/metrics", network: "/api/v1/views/network/demand" };
  const view = checkChoice(params, "view", Object.keys(views), "sla");
  const win = checkChoice(params, "window", ["1h", "6h", "24h", "7d"], "24h");
  root.append(h("div", { class: "pager" }, "view: ", ...Object.keys(views).map((v) => h("button", { type: "button", class: v === view ? "active" : "", onclick: () => go("sessions", { view: v, window: win }) }, v)),
    " window: ", ...["1h", "6h", "24h", "7d"].map((w) => h("button", { type: "button", class: w === win ? "active" : "", onclick: () => go("sessions", { view, window: w }) }, w))));
  const r = await api(views[view] + qs({ window: win }));
  const groups = r.groups || [];
  const table = h("table", { id: "sessions" });
  const cols = [];
  for (const g of groups) for (const k of Object.keys(g)) if (!cols.includes(k) && (g[k] === null || typeof g[k] !== "object")) cols.push(k);
  const first = ["model_id", "region", "success_ratio", "startup_success_sessions", "excused_sessions", "unexcused_sessions", "swapped_sessions", "total_sessions"];
  cols.sort((a, b) => ((first.indexOf(a) + 1) || 99) - ((first.indexOf(b) + 1) || 99));
  table.append(h("tr", {}, ...cols.map((c) => h("th", {}, c.replace(/_/g, " ")))));
  for (const g of groups) table.append(h("tr", {}, ...cols.map((c) => h("td", { class: typeof g[c] === "number" ? "num" : "" }, typeof g[c] === "number" ? fmt(g[c]) : g[c] ?? "–"))));
  root.append(h("div", { class: "card" }, h("h2", {}, `${view} · ${new Date(r.from_ms).toLocaleString()} – ${new Date(r.to_ms).toLocaleString()}`),
    groups.length ? table : h("p", { class: "muted" }, "no sessions in this window")));
  root.dataset.loaded = "1";
}

const RENDERERS = { overview: overviewPage, explorer: explorerPage, alerts: alertsPage, reports: reportsPage, sessions: sessionsPage };

let generation = 0;
async function render() {
  for (const fn of cleanup) fn();
  cleanup = [];
  const mine = ++generation;
  clearError();
  const { page, params } = currentRoute();
  const root = document.getElementById("page");
  root.replaceChildren();
  delete root.dataset.loaded;
  root.dataset.page = page;
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.page === page);
  try {
    if (!PAGES.includes(page)) throw new UrlError(`Unknown page '${page}' in the URL; pages are: ${PAGES.join(", ")}.`);
    await RENDERERS[page](root, params);
  } catch (e) {
    if (mine !== generation) return;  // The user moved on meanwhile.
    showError(e instanceof UrlError ? e.message : `Could not show this page: ${e.message}`);
    root.dataset.loaded = "error";
  }
}

window.addEventListener("hashchange", render);
// Leaving the page closes its stream: a page kept in the back/forward cache would otherwise hold
// one of the browser's six connections to Nissa (and one of Nissa's stream places) until evicted.
window.addEventListener("pagehide", () => { if (live.source) { live.source.close(); live.source = null; } });
window.addEventListener("pageshow", (ev) => { if (ev.persisted && !live.source) startLive(); });
document.addEventListener("DOMContentLoaded", () => { startLive(); render(); });
