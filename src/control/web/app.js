// Vigil web console: talks to the same HTTP API as everyone else, and
// follows the live event stream (/api/events) instead of reloading.
//
// On a wall with a token, the operator signs in once (the form, or a kiosk
// link http://HOST:PORT/#token=TOKEN): POST /api/session trades the token
// for an HttpOnly session cookie, which authorizes every call, the event
// stream and the preview images. The token never goes into a URL the
// server sees, and the link's fragment is wiped from the address bar and
// history at once.
"use strict";

let status = null;

class SignInNeeded extends Error {}

async function api(path, body) {
  const opts = body === undefined ? {} :
    { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body) };
  const r = await fetch(path, opts);
  const doc = await r.json();
  if (r.status === 401) throw new SignInNeeded(doc.error);
  if (!r.ok) throw new Error(doc.error || r.statusText);
  return doc;
}

async function signIn(token) {
  const r = await fetch("/api/session", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token }) });
  return r.ok;
}

// A kiosk link: sign in with the fragment's token, then forget it.
async function kioskSignIn() {
  const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (!m) return;
  history.replaceState(null, "", location.pathname + location.search);
  await signIn(decodeURIComponent(m[1]));
}

function askToken() {
  return new Promise((resolve) => {
    const form = $("signin");
    form.hidden = false;
    document.querySelector("main").hidden = true;
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      if (await signIn($("signin-token").value)) {
        form.hidden = true;
        document.querySelector("main").hidden = false;
        $("signin-token").value = "";
        resolve();
      } else {
        $("signin-error").textContent = "That is not the wall's token.";
      }
    };
  });
}

const $ = (id) => document.getElementById(id);
const el = (tag, text, cls) => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
};

function since(iso) {
  if (!iso) return "";
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? s + " s" : s < 3600 ? Math.floor(s / 60) + " min" : Math.floor(s / 3600) + " h";
}

function renderScreens() {
  const box = $("screens");
  for (const s of status.screens) {
    let div = document.getElementById("screen-" + s.id);
    if (!div) {
      div = el("div", undefined, "screen");
      div.id = "screen-" + s.id;
      div.append(el("div", "", "caption"), el("img"));
      div.querySelector("img").alt = "screen " + s.id;
      box.append(div);
    }
    div.querySelector(".caption").textContent =
      `${s.id}: ${s.layout || "blank"}, page ${s.page + 1} of ${s.pages}` +
      (s.next_change ? `, next change ${new Date(s.next_change).toLocaleTimeString()}` : "");
    div.dataset.page = s.page;
  }
}

function refreshPreviews() {
  if (!status) return;
  for (const s of status.screens) {
    const img = document.querySelector(`#screen-${CSS.escape(s.id)} img`);
    if (img) img.src = `/api/snapshot.png?screen=${encodeURIComponent(s.id)}&t=${Date.now()}`;
  }
}

function renderAlerts() {
  const body = $("alerts").querySelector("tbody");
  body.replaceChildren();
  for (const a of status.alerts) {
    const tr = el("tr");
    tr.dataset.alert = a.alert;
    tr.append(el("td", a.alert), el("td", a.camera || "wall"), el("td", a.condition),
              el("td", a.state), el("td", since(a.raised)));
    const td = el("td");
    if (a.state === "raised" || a.state === "cleared") {
      const b = el("button", "Ack");
      b.className = "ack";
      b.onclick = () => api("/api/ack", { alert: a.alert, by: "console" }).then(update);
      td.append(b);
    }
    tr.append(td);
    body.append(tr);
  }
  $("alert-count").textContent = status.alerts.length || "";
}

// A decoded camera's age is its last picture's; a hidden one is only read,
// so its age is its last packet's, and says so.
function age(c) {
  const ms = c.decoding ? c.last_frame_age_ms : c.last_packet_age_ms;
  if (ms === null || ms === undefined) return "never";
  return (ms / 1000).toFixed(1) + " s" + (c.decoding ? "" : " (packet)");
}

function renderCameras() {
  const body = $("cameras").querySelector("tbody");
  body.replaceChildren();
  for (const c of status.cameras) {
    const tr = el("tr");
    tr.dataset.camera = c.id;
    tr.append(el("td", c.name), el("td", c.state, "state-" + c.state),
              el("td", c.fps_in.toFixed(1) + " / " +
                 (c.decoding ? c.fps_out.toFixed(1) : "-")),
              el("td", age(c)),
              el("td", c.reconnects));
    tr.title = c.reason;
    body.append(tr);
  }
}

function renderPatrol() {
  $("wall").textContent = status.wall;
  $("plan").textContent = status.plan;
  // a plan that has always applied (no schedule change yet) has no start
  const t = Date.parse(status.plan_since);
  $("plan-since").textContent = t > 0 ? "since " + new Date(t).toLocaleString() : "";
  const o = status.overrides, parts = [];
  const until = (x) => x.until ? " until " + new Date(x.until).toLocaleTimeString() : "";
  if (o.paused) parts.push("paused" + until(o.paused));
  if (o.plan) parts.push("plan " + o.plan.plan + until(o.plan));
  for (const p of o.pages) parts.push(`${p.screen}: page stepped` + until(p));
  for (const l of o.layouts) parts.push(`${l.screen}: layout ${l.layout}` + until(l));
  for (const f of o.fullscreen) parts.push(`${f.screen}: ${f.camera} full screen`);
  for (const p of o.pins) parts.push(`${p.camera} pinned in ${p.screen} tile ${p.tile}` + until(p));
  $("overrides").textContent = parts.join(" · ");
  $("pause").textContent = o.paused ? "Resume" : "Pause";
}

async function update() {
  status = await api("/api/status");
  renderScreens();
  renderAlerts();
  renderCameras();
  renderPatrol();
  refreshPreviews();
}

async function fillSelects() {
  const plans = await api("/api/plans"), layouts = await api("/api/layouts");
  const ps = $("plan-select"), ls = $("layout-select");
  ps.append(new Option("(schedule)", ""));
  for (const p of plans) ps.append(new Option(p.name, p.name));
  ls.append(new Option("(plan's)", ""));
  for (const l of layouts) ls.append(new Option(l.name, l.name));
  ps.onchange = () => api("/api/plan", { plan: ps.value || null }).then(update);
  ls.onchange = () => api("/api/layout", { screen: status.screens[0].id, layout: ls.value || null }).then(update);
}

function wire() {
  $("next").onclick = () => api("/api/next", {}).then(update);
  $("prev").onclick = () => api("/api/prev", {}).then(update);
  $("pause").onclick = () => api(status.overrides.paused ? "/api/resume" : "/api/pause", {}).then(update);
  $("schedule").onclick = () => api("/api/schedule", {}).then(update);
  const es = new EventSource("/api/events");
  es.onopen = () => { $("conn").textContent = "live"; $("conn").className = "conn ok"; };
  es.onerror = () => { $("conn").textContent = "reconnecting…"; $("conn").className = "conn bad"; };
  let pending = null;
  const soon = () => { if (!pending) pending = setTimeout(() => { pending = null; update(); }, 100); };
  for (const ev of ["page", "camera", "alert", "plan_changed", "override", "config_reloaded"])
    es.addEventListener(ev, soon);
  setInterval(refreshPreviews, 2000);
  setInterval(() => { $("clock").textContent = new Date().toLocaleTimeString(); }, 1000);
}

async function start() {
  await kioskSignIn();
  for (;;) {
    try {
      await update();
      break;
    } catch (e) {
      if (!(e instanceof SignInNeeded)) throw e;
      await askToken();
    }
  }
  await fillSelects();
  wire();
}

start().catch((e) => {
  $("conn").textContent = "error: " + e.message;
  $("conn").className = "conn bad";
});
