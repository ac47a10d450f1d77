/**
 * What every page shares: the client, the connection indicator, the activity log, small DOM
 * helpers. Data is always inserted as text (textContent), never as HTML.
 */
import { TelepresenceClient } from "../presence-client.js";

export const boot = JSON.parse(document.getElementById("boot").textContent);

const TRANSPORT_TEXT = {
  connecting: "Connecting…",
  websocket: "Live",
  http: "Live (fallback: HTTP)",
  reconnecting: "Reconnecting…",
  stopped: "Disconnected",
};

export function startClient() {
  const client = new TelepresenceClient({ token: boot.token, user: boot.me });
  window.telepresence = client; // for debugging from the console
  const indicator = document.getElementById("connection");
  const show = () => {
    indicator.dataset.transport = client.transport;
    indicator.querySelector(".label").textContent = TRANSPORT_TEXT[client.transport] || client.transport;
    indicator.title = client.transport === "http"
      ? "WebSockets are blocked on this network: updates arrive over ordinary HTTP."
      : "";
  };
  client.on("transport", show);
  client.on("unauthorized", () => { window.location.href = "/signin/"; });
  client.on("error", (error) => console.warn("telepresence:", error));
  // A clean goodbye lets the server tell a closed tab from a lost network.
  window.addEventListener("pagehide", () => { client.stop(); });
  // Back from the browser's page cache: the page is alive again, so is its connection.
  window.addEventListener("pageshow", (event) => { if (event.persisted) client.start(); });
  client.start();
  show();
  return client;
}

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function badge(status) {
  const word = { online: "Online", away: "Away", busy: "Busy", offline: "Offline" }[status] || status;
  return el("span", { class: `badge ${status}` }, word);
}

export function minutes(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const mins = Math.round(seconds / 60);
  if (mins < 1) return "less than a minute";
  if (mins < 60) return `${mins} min`;
  return `${Math.floor(mins / 60)} h ${mins % 60} min`;
}

export function timeOf(iso, options = {}) {
  const date = new Date(iso);
  return date.toLocaleString(undefined, { weekday: "short", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", ...options });
}

export function say(node, text, kind = "") {
  node.hidden = !text;
  node.className = `message ${kind}`.trim();
  node.textContent = text || "";
}

/** A short, human message for an API error. */
export function explain(error, messages = {}) {
  if (error && messages[error.code]) return messages[error.code];
  if (error && error.detail) return error.detail;
  return "Something went wrong. Please try again.";
}

/** The "Recent updates" list: one line per stream event, never twice (keyed by event id). */
export function activityLog(client, describe) {
  const list = document.getElementById("activity");
  const seen = new Set();
  client.on("event", (event) => {
    if (seen.has(event.id)) return;
    seen.add(event.id);
    const text = describe(event);
    if (!text) return;
    const stamp = el("time", { datetime: new Date().toISOString() }, new Date().toLocaleTimeString());
    list.prepend(el("li", { dataset: { eventId: event.id, eventType: event.type } }, stamp, text));
    while (list.children.length > 50) list.lastElementChild.remove();
  });
}

/** Wrap a loader so that only the latest call renders: an older, slower answer (a snapshot taken
 * before the event that asked for a newer one) must not overwrite a newer one. The loader gets
 * `isLatest()` to check after each await. */
export function latestOnly(loader) {
  let generation = 0;
  return (...args) => {
    generation += 1;
    const mine = generation;
    return loader(() => mine === generation, ...args);
  };
}

/** Run `fn` at most once per `ms`, and once more after the last call (for snapshot reloads). */
export function debounce(fn, ms = 150) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export function todayRange() {
  const start = new Date();
  start.setHours(0, 0, 0, 0);
  const end = new Date(start);
  end.setDate(end.getDate() + 1);
  return { start: start.toISOString(), end: end.toISOString() };
}

export const STATUS_WORDS = {
  waiting: "Waiting", away: "Away (offline)", claimed: "Taken by a doctor", in_consultation: "In consultation",
  completed: "Completed", left: "Left", removed: "Removed",
  booked: "Booked", arrived: "Checked in", fulfilled: "Done", cancelled: "Cancelled", noshow: "Missed",
};
