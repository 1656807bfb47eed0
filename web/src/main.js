// The live picture of wellclear serve in a browser: sign in with a token, then the party's
// map (its aircraft, the others as the agreement's sharing level allows, predicted conflicts,
// the agreement's zones), its alerts in order of urgency with an acknowledge button, its
// incidents, and a replay of the last hour. Everything comes from the service with the token
// as Bearer; the basemap is shipped (no tile server, no glyphs, no CDN).
import maplibregl from "maplibre-gl";

const $ = (id) => document.getElementById(id);
const TRAIL = 20; // reports kept per aircraft for its trail (1 Hz: 20 s)
const STALE_S = 20; // age at which a symbol has faded to its faintest
const LABELS = 50; // own aircraft labelled when a party has at most this many
const TRAILS = 2000; // trails drawn for every aircraft up to this many, else for those in alert
const LEVEL_COLOURS = ["match", ["get", "level"], 3, "#e53935", 2, "#fb8c00", 1, "#fdd835", "#90a4ae"];

const state = {
  token: sessionStorage.getItem("wellclear.token"),
  session: null,
  map: null,
  picture: null,
  replaying: false,
  trails: new Map(),
  alerts: new Map(),
  acked: new Set(),
  lastSeq: null,
  selected: null,
  abort: null,
};

function api(path, options = {}) {
  return fetch(path, {
    ...options,
    headers: { ...(options.headers || {}), Authorization: `Bearer ${state.token}` },
  });
}

function status(text) {
  $("status").textContent = text;
}

// Server-Sent Events over fetch (EventSource cannot send an Authorization header)
async function sse(path, headers, onEvent, signal) {
  const r = await api(path, { headers, signal });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let kind = "message";
      let id = null;
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const at = line.indexOf(":");
        const field = at < 0 ? line : line.slice(0, at);
        const text = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
        if (field === "event") kind = text;
        else if (field === "data") data.push(text);
        else if (field === "id") id = text;
      }
      if (data.length) onEvent(kind, id, JSON.parse(data.join("\n")));
    }
  }
}

// keeps a stream open: reconnects a second after it ends or fails
async function keepOpen(name, open) {
  for (;;) {
    try {
      await open();
      status(`${name}: stream ended, reconnecting`);
    } catch (err) {
      if (err.name === "AbortError") return;
      status(`${name}: ${err.message}, reconnecting`);
    }
    await new Promise((done) => setTimeout(done, 1000));
  }
}

// -- geometry -----------------------------------------------------------------------------

function destination(lon, lat, bearingDeg, distanceM) {
  // a point along a great circle (spherical Earth, R = 6371 km): holds at the poles and
  // across the antimeridian (the longitude is wrapped back into [-180, 180))
  const R = 6371008.8;
  const d = distanceM / R;
  const b = (bearingDeg * Math.PI) / 180;
  const p1 = (lat * Math.PI) / 180;
  const l1 = (lon * Math.PI) / 180;
  const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
  const l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
  const lonOut = ((((l2 * 180) / Math.PI + 540) % 360) - 180);
  return [lonOut, (p2 * 180) / Math.PI];
}

function unwrap(from, to) {
  // the shorter way across the antimeridian for a line from `from` to `to`
  let lon = to[0];
  while (lon - from[0] > 180) lon -= 360;
  while (lon - from[0] < -180) lon += 360;
  return [lon, to[1]];
}

const collection = (features) => ({ type: "FeatureCollection", features });
const point = (a, props) => ({ type: "Feature", geometry: { type: "Point", coordinates: [a.lon, a.lat] }, properties: props });

function flightLevel(altM) {
  return altM == null ? "FL---" : `FL${String(Math.round(altM / 0.3048 / 100)).padStart(3, "0")}`;
}

// -- the alert's view, whoever receives it -------------------------------------------------

function ownOf(alert) {
  return alert.own ? alert.own : { id: alert.id_1, callsign: alert.callsign_1 };
}

function otherText(alert) {
  const o = alert.other || {
    party: alert.party_2,
    id: alert.id_2,
    callsign: alert.callsign_2,
    bearing_deg: alert.bearing_deg,
    range_m: alert.range_m,
    dalt_m: alert.dalt_m,
    time_to_los_s: alert.time_to_los_s,
  };
  const parts = [];
  if (o.callsign || o.id) parts.push(`${o.callsign || ""} ${o.id ? `(${o.id})` : ""}`.trim());
  if (o.party) parts.push(o.party);
  if (o.bearing_deg != null) parts.push(`${Math.round(o.bearing_deg)}°`);
  if (o.range_m != null) parts.push(`${(o.range_m / 1852).toFixed(1)} NM`);
  if (o.dalt_m != null) parts.push(`${o.dalt_m >= 0 ? "+" : ""}${Math.round(o.dalt_m / 0.3048)} ft`);
  if (o.time_to_los_s != null) parts.push(`LoS in ${Math.round(o.time_to_los_s)} s`);
  return parts.join(" · ");
}

function situation(alert) {
  return alert.other || alert;
}

function urgency(a, b) {
  const ta = situation(a).time_to_los_s ?? Infinity;
  const tb = situation(b).time_to_los_s ?? Infinity;
  return b.level - a.level || ta - tb;
}

// -- rendering ------------------------------------------------------------------------------

function aircraftLayers(map) {
  const size = 32;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const g = canvas.getContext("2d");
  g.fillStyle = "#fff";
  g.beginPath();
  g.moveTo(size / 2, 2);
  g.lineTo(size - 6, size - 4);
  g.lineTo(size / 2, size - 10);
  g.lineTo(6, size - 4);
  g.closePath();
  g.fill();
  map.addImage("aircraft", g.getImageData(0, 0, size, size), { sdf: true });
}

function style(session) {
  const empty = collection([]);
  return {
    version: 8,
    sources: {
      land: { type: "geojson", data: "/web/land.json" },
      sovereign: { type: "geojson", data: "/web/sovereign.json" },
      zones: { type: "geojson", data: session.zones },
      coarse: { type: "geojson", data: empty },
      trails: { type: "geojson", data: empty },
      conflicts: { type: "geojson", data: empty },
      aircraft: { type: "geojson", data: empty },
    },
    layers: [
      { id: "sea", type: "background", paint: { "background-color": "#0d1b2a" } },
      { id: "land", type: "fill", source: "land", paint: { "fill-color": "#1e2d24" } },
      { id: "coast", type: "line", source: "land", paint: { "line-color": "#4f6f52", "line-width": 0.8 } },
      { id: "borders", type: "line", source: "sovereign", paint: { "line-color": "#6c757d", "line-width": 0.6, "line-dasharray": [3, 2] } },
      { id: "zones", type: "fill", source: "zones", paint: { "fill-color": "#ab47bc", "fill-opacity": 0.12 } },
      { id: "zone-edges", type: "line", source: "zones", paint: { "line-color": "#ce93d8", "line-width": 1.5 } },
      { id: "coarse", type: "circle", source: "coarse", paint: { "circle-radius": 7, "circle-color": "#b0bec5", "circle-opacity": 0.35, "circle-stroke-color": "#cfd8dc", "circle-stroke-width": 1 } },
      { id: "trails", type: "line", source: "trails", paint: { "line-color": ["get", "colour"], "line-width": 1.2, "line-opacity": 0.5 } },
      { id: "conflicts", type: "line", source: "conflicts", paint: { "line-color": LEVEL_COLOURS, "line-width": 2.5 } },
      {
        id: "aircraft",
        type: "symbol",
        source: "aircraft",
        layout: {
          "icon-image": "aircraft",
          "icon-size": 0.55,
          "icon-rotate": ["get", "trk_deg"],
          "icon-rotation-alignment": "map",
          "icon-allow-overlap": true,
          "icon-ignore-placement": true,
        },
        paint: {
          "icon-color": ["get", "colour"],
          "icon-opacity": ["interpolate", ["linear"], ["get", "age_s"], 0, 1, STALE_S, 0.25],
        },
      },
    ],
  };
}

// own aircraft cyan; the others by party (FNV-1a of the name), none of them cyan
const PALETTE = ["#ffb74d", "#81c784", "#f06292", "#ba68c8", "#fff176", "#aed581", "#ff8a65", "#e0e0e0"];
function partyColour(party) {
  if (state.session.role === "party" && party === state.session.name) return "#4fc3f7";
  let h = 2166136261;
  for (const c of party || "") h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return PALETTE[h % PALETTE.length];
}

function render(picture, trails) {
  const map = state.map;
  if (!map || !state.loaded || !picture) return;
  const now = picture.t_unix ?? Date.now() / 1000;
  const aircraft = [];
  const coarse = [];
  const byId = new Map();
  for (const a of picture.aircraft) {
    if (a.coarse) {
      coarse.push(point(a, {}));
      continue;
    }
    byId.set(a.id, a);
    aircraft.push(point(a, { id: a.id, trk_deg: a.trk_deg ?? 0, age_s: Math.max(0, now - (a.t_unix ?? now)), colour: partyColour(a.party) }));
  }
  map.getSource("aircraft").setData(collection(aircraft));
  map.getSource("coarse").setData(collection(coarse));
  const lines = [];
  if (trails) {
    const alerting = new Set([...state.alerts.values()].map((al) => ownOf(al).id));
    const all = byId.size <= TRAILS;
    for (const [id, trail] of state.trails) {
      const a = byId.get(id);
      if (!a || trail.length < 2 || !(all || alerting.has(id) || id === state.selected)) continue;
      const coords = [trail[0]];
      for (const p of trail.slice(1)) coords.push(unwrap(coords[coords.length - 1], p));
      lines.push({ type: "Feature", geometry: { type: "LineString", coordinates: coords }, properties: { colour: partyColour(a.party) } });
    }
  }
  map.getSource("trails").setData(collection(lines));
  map.getSource("conflicts").setData(collection(conflictLines(byId)));
  state.byId = byId;
  labels();
}

function conflictLines(byId) {
  // from each own aircraft in alert towards its point of closest approach, estimated from
  // what the alert discloses: the time to close the range (range / closure), or the time to
  // loss of separation when not closing, along the own aircraft's track at its ground speed
  const out = [];
  for (const alert of state.alerts.values()) {
    const own = byId.get(ownOf(alert).id);
    if (!own) continue;
    const s = situation(alert);
    const t = s.closure_mps > 0 && s.range_m != null ? s.range_m / s.closure_mps : (s.time_to_los_s ?? 60);
    const to = destination(own.lon, own.lat, own.trk_deg ?? 0, (own.gs_mps ?? 0) * Math.min(t, 600));
    out.push({
      type: "Feature",
      geometry: { type: "LineString", coordinates: [[own.lon, own.lat], unwrap([own.lon, own.lat], to)] },
      properties: { level: alert.level },
    });
  }
  return out;
}

function labels() {
  const box = $("labels");
  const map = state.map;
  const byId = state.byId || new Map();
  const alerting = new Set([...state.alerts.values()].map((a) => ownOf(a).id));
  const mine = [...byId.values()].filter((a) => state.session.role !== "party" || a.party === state.session.name);
  const shown = mine.length <= LABELS ? mine : mine.filter((a) => alerting.has(a.id) || a.id === state.selected);
  const spans = [];
  for (const a of shown) {
    const p = map.project([a.lon, a.lat]);
    const span = document.createElement("span");
    span.className = "label";
    span.dataset.id = a.id;
    span.style.left = `${p.x}px`;
    span.style.top = `${p.y}px`;
    span.textContent = `${a.callsign || a.id}\n${flightLevel(a.alt_m)}`;
    spans.push(span);
  }
  box.replaceChildren(...spans);
}

function onPicture(picture) {
  state.picture = picture;
  for (const a of picture.aircraft) {
    if (a.coarse) continue;
    let trail = state.trails.get(a.id);
    if (!trail) state.trails.set(a.id, (trail = []));
    const last = trail[trail.length - 1];
    if (!last || last[0] !== a.lon || last[1] !== a.lat) trail.push([a.lon, a.lat]);
    if (trail.length > TRAIL) trail.shift();
  }
  const ids = new Set(picture.aircraft.map((a) => a.id));
  for (const id of state.trails.keys()) if (!ids.has(id)) state.trails.delete(id);
  if (!state.fitted && picture.aircraft.length) {
    state.fitted = true;
    const b = new maplibregl.LngLatBounds();
    for (const a of picture.aircraft) b.extend([a.lon, a.lat]);
    state.map.fitBounds(b, { padding: 60, maxZoom: 9, duration: 0 });
  }
  $("clock").textContent = picture.t ? `picture ${picture.t}` : "no picture yet";
  if (!state.replaying) render(picture, true);
  state.frames = (state.frames || 0) + 1;
  document.body.dataset.pictures = String(state.frames);
}

// -- alerts and incidents -------------------------------------------------------------------

function onAlert(alert, seq) {
  if (seq != null) state.lastSeq = Number(seq);
  if (alert.event === "cleared") state.alerts.delete(alert.alert_id);
  else state.alerts.set(alert.alert_id, alert);
  showAlerts();
  if (state.picture && !state.replaying) render(state.picture, true);
}

function showAlerts() {
  const items = [...state.alerts.values()].sort(urgency).map((alert) => {
    const li = document.createElement("li");
    li.className = `level-${alert.level}${state.acked.has(alert.alert_id) ? " acked" : ""}`;
    li.dataset.alertId = alert.alert_id;
    li.dataset.t = String(alert.t_unix);
    const own = ownOf(alert);
    const head = document.createElement("div");
    head.innerHTML = "<strong></strong> <span></span>";
    head.firstChild.textContent = `${alert.level_name || `level ${alert.level}`}: ${own.callsign || own.id}`;
    head.lastChild.textContent = alert.t;
    const body = document.createElement("div");
    body.textContent = otherText(alert);
    const freq = document.createElement("div");
    freq.textContent = `distress ${(alert.frequencies_mhz || []).map((f) => `${f} MHz`).join(", ")}`;
    const ack = document.createElement("button");
    ack.type = "button";
    ack.className = "ack";
    ack.textContent = state.acked.has(alert.alert_id) ? "acknowledged" : "acknowledge";
    ack.disabled = state.acked.has(alert.alert_id);
    ack.onclick = () => acknowledge(alert.alert_id);
    li.append(head, body, freq, ack);
    return li;
  });
  $("alerts").replaceChildren(...items);
}

async function acknowledge(alertId) {
  const r = await api(`/v1/alerts/${encodeURIComponent(alertId)}/ack`, { method: "POST" });
  if (r.ok) state.acked.add(alertId);
  else status(`acknowledge: ${r.status} ${(await r.json()).detail}`);
  showAlerts();
}

async function incidents() {
  const r = await api("/v1/incidents");
  if (!r.ok) return;
  const items = (await r.json()).incidents.map((i) => {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.dataset.incidentId = i.incident_id;
    const who = i.own ? i.own.callsign || i.own.id : `${i.id_1} / ${i.id_2}`;
    a.textContent = `${i.kind}: ${who}, ${i.t_start}`;
    a.onclick = () => report(i.incident_id);
    li.append(a);
    return li;
  });
  $("incidents").replaceChildren(...items);
}

async function report(incidentId) {
  // the report needs the token, so it is fetched and opened from memory
  const r = await api(`/v1/incidents/${encodeURIComponent(incidentId)}/report`);
  const url = URL.createObjectURL(new Blob([await r.text()], { type: "text/html" }));
  window.open(url, "_blank");
}

// -- replay ---------------------------------------------------------------------------------

async function replayAt(offsetS) {
  const end = state.picture?.t_unix;
  if (end == null) return;
  state.replaying = offsetS < 0;
  $("replay").value = String(offsetS);
  if (!state.replaying) {
    $("replay-t").textContent = "live";
    render(state.picture, true);
    return;
  }
  const t = end + offsetS;
  const r = await api(`/v1/web/replay?t=${t}`);
  if (!r.ok) return status(`replay: ${r.status}`);
  const picture = await r.json();
  $("replay-t").textContent = `replay ${picture.t} (${picture.aircraft.length} aircraft)`;
  if (state.replaying) render(picture, false);
}

// -- start ----------------------------------------------------------------------------------

async function start() {
  const r = await api("/v1/web/session");
  if (!r.ok) {
    sessionStorage.removeItem("wellclear.token");
    $("signin").hidden = false;
    $("signin-error").textContent = r.status === 401 ? "That token is not valid." : `Sign-in failed: ${r.status}`;
    return;
  }
  const session = (state.session = await r.json());
  $("signin").hidden = true;
  $("app").hidden = false;
  $("who").textContent = session.name;
  $("role").textContent = `(${session.role})`;
  const ag = session.agreement;
  $("agreement").textContent = `${ag.title || ag.id}, version ${ag.version}; sharing: ${ag.sharing}`;
  $("frequencies").textContent = `Distress frequencies: ${ag.frequencies_mhz.map((f) => `${f} MHz`).join(", ")}`;
  const map = (state.map = new maplibregl.Map({
    container: "map",
    style: style(session),
    center: [37, 35],
    zoom: 5,
    fadeDuration: 0,
    attributionControl: { customAttribution: "Natural Earth (public domain)" },
  }));
  map.on("render", labels);
  map.on("click", "aircraft", (e) => {
    state.selected = e.features[0]?.properties.id ?? null;
    labels();
  });
  await new Promise((done) => map.on("load", done));
  aircraftLayers(map);
  state.loaded = true;
  document.body.dataset.ready = "1";
  const open = await api("/v1/alerts");
  if (open.ok) for (const a of (await open.json()).alerts) onAlert(a, a.seq ?? null);
  keepOpen("picture", () => sse("/v1/web/picture/stream", {}, (kind, _id, data) => kind === "picture" && onPicture(data)));
  keepOpen("alerts", () =>
    sse("/v1/alerts/stream", state.lastSeq != null ? { "Last-Event-ID": String(state.lastSeq) } : {}, (kind, id, data) => kind === "alert" && onAlert(data, id)),
  );
  incidents();
  setInterval(incidents, 5000);
  $("replay").oninput = () => replayAt(Number($("replay").value));
  $("back").onclick = () => replayAt(Math.max(-3600, Number($("replay").value) - 10));
  $("fwd").onclick = () => replayAt(Math.min(0, Number($("replay").value) + 10));
  $("live").onclick = () => replayAt(0);
}

$("signin").addEventListener("submit", (e) => {
  e.preventDefault();
  state.token = $("token").value.trim();
  sessionStorage.setItem("wellclear.token", state.token);
  start();
});
if (state.token) start();
