// A small SVG line chart: several lines over one time axis, optional shaded bands (p50..p99),
// units on the y axis, drag across it to zoom into a time range. No library, no network.
// Lines in two units get two y axes: the first unit's on the left, the second's on the right.
"use strict";

const EsperChart = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const COLORS = ["#2f6fdf", "#d9480f", "#2b8a3e", "#9c36b5", "#c98a00", "#0b7285", "#e64980", "#5c940d"];
  const W = 900, H = 380, L = 70, T = 14, B = 36;

  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) { hi = lo + 1; }
    const raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
    return out;
  }

  function formatValue(v) {
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(2);
    return Number(v.toPrecision(4)).toString();
  }

  function formatTime(ms, spanMs) {
    const d = new Date(ms);
    const hm = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: spanMs < 15 * 60e3 ? "2-digit" : undefined });
    return spanMs > 36 * 3600e3 ? d.toLocaleDateString([], { month: "short", day: "numeric" }) + " " + hm : hm;
  }

  // spec: {lines: [{label, points: [{t, v}], band: [{t, lo, hi}]?, axis: 0|1}], units: [left, right?]
  //        (or unit: left), from, to, onZoom(from, to)}
  function draw(svg, spec) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("preserveAspectRatio", "none");
    const units = spec.units || [spec.unit];
    const axes = units.map(() => ({ lo: Infinity, hi: -Infinity }));
    let count = 0;
    for (const line of spec.lines) {
      const a = axes[line.axis || 0];
      if (!line.dashed) count += line.points.length;  // A quantile line is not a point of the series.
      for (const p of line.points) { a.lo = Math.min(a.lo, p.v); a.hi = Math.max(a.hi, p.v); }
      for (const b of line.band || []) { a.lo = Math.min(a.lo, b.lo); a.hi = Math.max(a.hi, b.hi); }
    }
    svg.dataset.pointCount = String(count);
    svg.dataset.lineCount = String(spec.lines.length);
    svg.dataset.axes = String(units.length);
    if (count === 0) {
      svg.appendChild(el("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "no points in this window"));
      return;
    }
    for (const a of axes) {
      if (!(a.hi >= a.lo)) { a.lo = 0; a.hi = 1; }  // An axis whose lines have no points yet.
      if (a.lo === a.hi) { a.lo -= Math.abs(a.lo) * 0.1 || 1; a.hi += Math.abs(a.hi) * 0.1 || 1; }
      const pad = (a.hi - a.lo) * 0.05; a.lo -= pad; a.hi += pad;
    }
    const R = units.length > 1 ? 70 : 16;
    const from = spec.from, to = spec.to, span = Math.max(1, to - from);
    const x = (t) => L + ((t - from) / span) * (W - L - R);
    const ys = axes.map((a) => (v) => T + (1 - (v - a.lo) / (a.hi - a.lo)) * (H - T - B));

    axes.forEach((a, k) => {
      const y = ys[k];
      for (const v of niceTicks(a.lo, a.hi, 6)) {
        if (k === 0) svg.appendChild(el("line", { class: "grid-line", x1: L, x2: W - R, y1: y(v), y2: y(v) }));
        svg.appendChild(el("text", { x: k === 0 ? L - 6 : W - R + 6, y: y(v) + 4, "text-anchor": k === 0 ? "end" : "start" }, formatValue(v)));
      }
      const ax = k === 0 ? 14 : W - 10, mid = T + (H - T - B) / 2;
      svg.appendChild(el("line", { class: "axis", x1: k === 0 ? L : W - R, x2: k === 0 ? L : W - R, y1: T, y2: H - B }));
      const label = el("text", { class: "unit", x: ax, y: mid, transform: `rotate(-90 ${ax} ${mid})`, "text-anchor": "middle" },
                       (units[k] || "(no unit)") + (units.length > 1 ? (k === 0 ? " (left)" : " (right)") : ""));
      svg.appendChild(label);
    });
    for (const t of niceTicks(from, to, 6)) {
      svg.appendChild(el("text", { x: x(t), y: H - B + 16, "text-anchor": "middle" }, formatTime(t, span)));
    }
    svg.appendChild(el("line", { class: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));
    svg.appendChild(el("text", { x: W - R, y: H - 4, "text-anchor": "end" }, "time"));

    spec.lines.forEach((line, i) => {
      const y = ys[line.axis || 0];
      const color = line.dashed ? spec.lines[i - 1].color : COLORS[(i - spec.lines.slice(0, i).filter((l) => l.dashed).length) % COLORS.length];
      line.color = color;
      if (line.band && line.band.length > 1) {
        const upper = line.band.map((b) => `${x(b.t)},${y(b.hi)}`);
        const lower = line.band.slice().reverse().map((b) => `${x(b.t)},${y(b.lo)}`);
        svg.appendChild(el("polygon", { class: "band", fill: color, points: upper.concat(lower).join(" ") }));
      }
      const d = line.points.map((p, k) => `${k ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
      const path = el("path", { class: line.dashed ? "quantile" : "line", stroke: color, d, fill: "none",
                                "stroke-dasharray": line.dashed ? "4 3" : undefined });
      path.dataset.points = String(line.points.length);
      path.appendChild(el("title", {}, line.label));
      svg.appendChild(path);
      if (line.points.length <= 60 && !line.dashed) {  // Dots where a line is sparse, so a single point shows.
        for (const p of line.points) svg.appendChild(el("circle", { cx: x(p.t), cy: y(p.v), r: 2.5, fill: color }));
      }
    });

    // Drag to zoom: the chosen time range goes to spec.onZoom (the page puts it in the URL).
    const sel = el("rect", { class: "sel", x: 0, y: T, width: 0, height: H - T - B, visibility: "hidden" });
    svg.appendChild(sel);
    const toViewX = (ev) => {
      const r = svg.getBoundingClientRect();
      return ((ev.clientX - r.left) / r.width) * W;
    };
    let start = null;
    svg.onmousedown = (ev) => { start = toViewX(ev); sel.setAttribute("visibility", "visible"); };
    svg.onmousemove = (ev) => {
      if (start === null) return;
      const now = toViewX(ev);
      sel.setAttribute("x", Math.min(start, now)); sel.setAttribute("width", Math.abs(now - start));
    };
    svg.onmouseup = (ev) => {
      if (start === null) return;
      const end = toViewX(ev);
      sel.setAttribute("visibility", "hidden");
      const a = Math.min(start, end), b = Math.max(start, end);
      start = null;
      if (b - a < 8 || !spec.onZoom) return;
      const t = (px) => Math.round(from + ((Math.max(L, Math.min(W - R, px)) - L) / (W - L - R)) * span);
      spec.onZoom(t(a), t(b));
    };
  }

  return { draw, COLORS };
})();
