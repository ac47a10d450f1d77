/**
 * Telepresence client: one event stream over a WebSocket, or over HTTP when WebSockets are
 * blocked, switched by itself. Dependency-free ES module for web pages and React Native.
 *
 * The application sees one stream of events (`on("event")`, `on("<type>")`), presence updates
 * (`on("presence")`) and a `transport` ("connecting", "websocket", "http", "reconnecting",
 * "stopped"); it never sees the switch itself. The client keeps the id of the last event it
 * handed over (its cursor), resumes after it on every reconnect or switch, and drops anything
 * not newer, so no event is lost or repeated. See docs/client.md and docs/protocol.md.
 */

const CONNECTION_ID_KEY = "telepresence.connection";

/** Compare two stream ids "<ms>-<seq>" as two integers: -1, 0 or 1. */
export function compareEventIds(a, b) {
  const [am, as] = splitId(a);
  const [bm, bs] = splitId(b);
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}

function splitId(id) {
  if (id === null || id === undefined || id === "" || id === "0") return [0, 0];
  const [ms, seq] = String(id).split("-");
  return [Number(ms) || 0, Number(seq) || 0];
}

/** An error answered by the server: `status` (HTTP), `code` and `detail` from its JSON. */
export class TelepresenceError extends Error {
  constructor(status, code, detail, body = null) {
    super(detail || code || `HTTP ${status}`);
    this.name = "TelepresenceError";
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.body = body;
  }
}

function randomId() {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  let id = "tab-";
  for (let i = 0; i < 16; i += 1) id += alphabet[Math.floor(Math.random() * alphabet.length)];
  return id;
}

/** A per-tab connection id: kept in sessionStorage when there is one, so a reload reuses it. */
function stableConnectionId(storage) {
  try {
    const kept = storage && storage.getItem(CONNECTION_ID_KEY);
    if (kept && /^[A-Za-z0-9_-]{1,64}$/.test(kept)) return kept;
    const id = randomId();
    if (storage) storage.setItem(CONNECTION_ID_KEY, id);
    return id;
  } catch (_) {
    return randomId(); // storage refused (private mode): a fresh id per client is still correct
  }
}

function defaultStorage() {
  try {
    return globalThis.sessionStorage || null;
  } catch (_) {
    return null;
  }
}

function trimSlash(url) {
  return url.endsWith("/") ? url.slice(0, -1) : url;
}

export class TelepresenceClient {
  /**
   * @param {object} options
   * @param {string} [options.baseUrl] "https://clinic.example" (default: the page's origin)
   * @param {string} [options.token] an API token (or call signIn)
   * @param {Function} [options.fetch] default globalThis.fetch
   * @param {Function} [options.WebSocket] default globalThis.WebSocket
   * @param {string} [options.connectionId] the HTTP connection id, [A-Za-z0-9_-]{1,64}
   * @param {number} [options.wsFailuresBeforeFallback] WebSocket failures in a row before HTTP (2)
   * @param {number} [options.wsRetryBaseMs] first WebSocket retry from the fallback (3000)
   * @param {number} [options.wsRetryMaxMs] longest wait between WebSocket retries (60000)
   * @param {number} [options.wsOpenTimeoutMs] no welcome within this: a failure (8000)
   * @param {number} [options.longPollSeconds] `wait` of each long-poll (25)
   * @param {boolean} [options.webSocket] false: HTTP only (default true)
   */
  constructor(options = {}) {
    const origin = globalThis.location && globalThis.location.origin;
    this.baseUrl = trimSlash(options.baseUrl || origin || "");
    this.token = options.token || null;
    this.user = options.user || null;
    const fetchImpl = options.fetch || globalThis.fetch;
    this._fetch = fetchImpl ? fetchImpl.bind(globalThis) : null;
    this._WebSocket = options.WebSocket || globalThis.WebSocket || null;
    this.connectionId = options.connectionId || stableConnectionId(options.storage ?? defaultStorage());
    this.options = {
      wsFailuresBeforeFallback: options.wsFailuresBeforeFallback ?? 2,
      wsRetryBaseMs: options.wsRetryBaseMs ?? 3000,
      wsRetryMaxMs: options.wsRetryMaxMs ?? 60000,
      wsOpenTimeoutMs: options.wsOpenTimeoutMs ?? 8000,
      reconnectDelayMs: options.reconnectDelayMs ?? 500,
      longPollSeconds: options.longPollSeconds ?? 25,
      webSocket: options.webSocket ?? true,
    };
    this.transport = "stopped";
    this.cursor = options.cursor || null; // the id of the last event handed to the application
    this.heartbeatSeconds = 10;
    this.timeoutSeconds = 20;
    this._listeners = new Map();
    this._subscribed = new Set();
    this._desiredStatus = null;
    this._running = false;
    this._ws = null;
    this._wsReady = false;
    this._wsFailures = 0;
    this._wsRetries = 0;
    this._wsStableTimer = null;
    this._wsRetryTimer = null;
    this._wsOpenTimer = null;
    this._wsWatchdog = null;
    this._wsHeartbeat = null;
    this._pending = []; // answers the server owes to our frames, in order
    this._http = null; // the running fallback: {alive, heartbeatTimer, pollAbort}
    this._offline = false;
    this._onOffline = () => this._networkLost();
    this._onOnline = () => this._networkBack();
  }

  // --- events ------------------------------------------------------------------------------

  /** Listen: "event" (every stream event), an event type ("queue.position"...), "presence",
   * "transport", "ready", "resync", "error", "unauthorized". Returns a function that unlistens. */
  on(type, listener) {
    if (!this._listeners.has(type)) this._listeners.set(type, new Set());
    this._listeners.get(type).add(listener);
    return () => this.off(type, listener);
  }

  off(type, listener) {
    const set = this._listeners.get(type);
    if (set) set.delete(listener);
  }

  _emit(type, payload) {
    const set = this._listeners.get(type);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(payload);
      } catch (error) {
        // An application bug must not break the connection; report it and carry on.
        if (type !== "error") this._emit("error", error);
      }
    }
  }

  _setTransport(transport) {
    if (this.transport === transport) return;
    const previous = this.transport;
    this.transport = transport;
    this._emit("transport", { transport, previous });
  }

  // --- HTTP --------------------------------------------------------------------------------

  /** Any API call: resolves with the JSON answer (null for 204), rejects with TelepresenceError. */
  async request(method, path, body, { signal, keepalive } = {}) {
    if (!this._fetch) throw new Error("No fetch: pass options.fetch.");
    const headers = { Accept: "application/json" };
    if (this.token) headers.Authorization = `Token ${this.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await this._fetch(this.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      keepalive,
      credentials: "omit", // the token is the credential: no cookie, so no CSRF to worry about
    });
    if (response.status === 204) return null;
    let data = null;
    const text = await response.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (_) {
        data = { detail: text.slice(0, 200) };
      }
    }
    if (!response.ok) {
      const error = new TelepresenceError(response.status, data && data.code, data && data.detail, data);
      if (response.status === 401) this._emit("unauthorized", error);
      throw error;
    }
    return data;
  }

  /** Sign in with a username and password: keeps the token, resolves with {token, user}. */
  async signIn(username, password) {
    const answer = await this.request("POST", "/api/auth/token/", { username, password });
    this.token = answer.token;
    this.user = answer.user;
    return answer;
  }

  /** Sign out everywhere (the token stops working), and stop. */
  async signOut() {
    await this.stop();
    try {
      await this.request("DELETE", "/api/auth/token/");
    } finally {
      this.token = null;
      this.user = null;
    }
  }

  async me() {
    this.user = await this.request("GET", "/api/me/");
    return this.user;
  }

  // --- lifecycle -----------------------------------------------------------------------------

  /** Connect (WebSocket first, HTTP when it fails) and keep connected until stop(). */
  start() {
    if (this._running) return;
    if (!this.token) throw new Error("Sign in first (signIn) or pass a token.");
    this._running = true;
    this._setTransport("connecting");
    if (typeof globalThis.addEventListener === "function") {
      globalThis.addEventListener("offline", this._onOffline);
      globalThis.addEventListener("online", this._onOnline);
    }
    this._offline = globalThis.navigator && globalThis.navigator.onLine === false;
    if (this._canUseWebSocket()) this._openWebSocket();
    else this._startHttp();
  }

  /** Disconnect cleanly: the server gives the user its grace period before "offline". */
  async stop() {
    if (!this._running) return;
    this._running = false;
    if (typeof globalThis.removeEventListener === "function") {
      globalThis.removeEventListener("offline", this._onOffline);
      globalThis.removeEventListener("online", this._onOnline);
    }
    clearTimeout(this._wsRetryTimer);
    this._closeWebSocket(1000);
    const wasHttp = this._http !== null;
    this._stopHttp();
    this._setTransport("stopped");
    if (wasHttp) {
      try {
        await this._sayHttpGoodbye();
      } catch (_) {
        // The page is going away; the server's timeout covers a lost goodbye.
      }
    }
  }

  _canUseWebSocket() {
    return this.options.webSocket && typeof this._WebSocket === "function";
  }

  _networkLost() {
    // Browsers keep a dead socket open for minutes after the network goes: act at once.
    this._offline = true;
    if (!this._running) return;
    this._setTransport("reconnecting");
    if (this._ws) this._closeWebSocket(4000, { countFailure: false, reconnect: false });
  }

  _networkBack() {
    this._offline = false;
    if (!this._running) return;
    if (this._http) {
      this._httpHeartbeat(); // at once, rather than at the next tick
      if (this._http.wake) this._http.wake();
      if (this._canUseWebSocket()) this._scheduleWebSocketRetry(0);
    } else if (!this._ws) {
      this._openWebSocket();
    }
  }

  // --- WebSocket -------------------------------------------------------------------------------

  _wsUrl(ticket) {
    const base = this.baseUrl.replace(/^http/, "ws");
    let url = `${base}/ws/?ticket=${encodeURIComponent(ticket)}`;
    if (this.cursor) url += `&after=${encodeURIComponent(this.cursor)}`;
    return url;
  }

  async _openWebSocket() {
    clearTimeout(this._wsRetryTimer);
    if (!this._running || this._ws) return;
    if (!this._http) this._setTransport(this.transport === "connecting" ? "connecting" : "reconnecting");
    let ticket;
    try {
      ticket = (await this.request("POST", "/api/auth/ws-ticket/")).ticket;
    } catch (error) {
      if (error instanceof TelepresenceError && error.status === 401) return this._giveUp(error);
      return this._webSocketFailed();
    }
    if (!this._running || this._ws) return;
    let socket;
    try {
      socket = new this._WebSocket(this._wsUrl(ticket));
    } catch (_) {
      return this._webSocketFailed();
    }
    this._ws = socket;
    this._wsReady = false;
    this._wsOpenTimer = setTimeout(() => {
      if (this._ws === socket && !this._wsReady) this._closeWebSocket(4000);
    }, this.options.wsOpenTimeoutMs);
    socket.onmessage = (message) => {
      if (this._ws !== socket) return;
      this._wsFrame(message.data);
    };
    socket.onclose = (close) => {
      if (this._ws !== socket) return;
      this._wsClosed(close && close.code);
    };
    socket.onerror = () => {
      // A close always follows; decide there.
    };
  }

  _wsFrame(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch (_) {
      return;
    }
    this._resetWatchdog();
    switch (frame.type) {
      case "welcome":
        return this._welcome(frame);
      case "heartbeat.ack":
        return undefined;
      case "presence.snapshot":
        this._answer("presence.snapshot", frame.users);
        return this._emitSnapshot(frame.users);
      case "presence.unsubscribed":
      case "presence.status":
        return this._answer(frame.type, frame);
      case "events.truncated":
        return this._emit("resync", { after: frame.after });
      case "error":
        return this._wsError(frame);
      default:
        if (frame.id) this._deliver(frame);
        return undefined;
    }
  }

  _welcome(frame) {
    clearTimeout(this._wsOpenTimer);
    this._wsReady = true;
    this.heartbeatSeconds = Number(frame.heartbeat_seconds) || this.heartbeatSeconds;
    this.timeoutSeconds = Number(frame.timeout_seconds) || this.timeoutSeconds;
    if (!this.cursor) this.cursor = frame.cursor && frame.cursor !== "0" ? frame.cursor : this.cursor;
    if (this.user && frame.user) this.user = { ...this.user, id: frame.user };
    else if (frame.user) this.user = { id: frame.user };
    // A socket that stays up this long is healthy: only then are past failures forgiven, so a
    // socket that opens and drops again and again still sends us to HTTP.
    clearTimeout(this._wsStableTimer);
    this._wsStableTimer = setTimeout(() => {
      this._wsFailures = 0;
      this._wsRetries = 0;
    }, Math.max(2 * this.heartbeatSeconds * 1000, 5000));
    clearInterval(this._wsHeartbeat);
    this._wsHeartbeat = setInterval(() => this._send({ type: "heartbeat" }), this.heartbeatSeconds * 1000);
    this._resetWatchdog();
    const wasHttp = this._http !== null;
    if (wasHttp) {
      this._stopHttp();
      this._sayHttpGoodbye().catch(() => {});
    }
    this._resubscribe("websocket");
    this._setTransport("websocket");
    this._emit("ready", { transport: "websocket" });
  }

  _resetWatchdog() {
    // No frame for the server's timeout (heartbeats are acked) means a dead socket that the
    // browser has not noticed yet.
    clearTimeout(this._wsWatchdog);
    if (!this._ws) return;
    const socket = this._ws;
    this._wsWatchdog = setTimeout(() => {
      if (this._ws === socket) this._closeWebSocket(4000);
    }, (this.timeoutSeconds + this.heartbeatSeconds) * 1000);
  }

  _wsError(frame) {
    const error = new TelepresenceError(0, frame.code, frame.detail, frame);
    if (!this._answer(null, null, error)) this._emit("error", error);
  }

  _send(frame) {
    if (this._ws && this._wsReady) {
      try {
        this._ws.send(JSON.stringify(frame));
        return true;
      } catch (_) {
        return false;
      }
    }
    return false;
  }

  /** Send a frame that the server answers, and resolve with the answer. */
  _ask(frame, expect) {
    return new Promise((resolve, reject) => {
      // Queued before sending: an answer may come back before send() returns.
      const waiting = { expect, resolve, reject };
      this._pending.push(waiting);
      if (!this._send(frame)) {
        this._pending.splice(this._pending.indexOf(waiting), 1);
        resolve(null);
      }
    });
  }

  _answer(type, value, error = null) {
    const waiting = this._pending.shift();
    if (!waiting) return false;
    if (error) waiting.reject(error);
    else waiting.resolve(value);
    return true;
  }

  _closeWebSocket(code, { countFailure = true, reconnect = true } = {}) {
    const socket = this._ws;
    if (!socket) return;
    try {
      socket.close(code === 1000 ? 1000 : 4000);
    } catch (_) {
      // already closing
    }
    if (code === 1000 || !reconnect) {
      this._wsTeardown();
      if (!reconnect && countFailure) this._wsFailures += 1;
      return;
    }
    this._wsClosed(code, countFailure);
  }

  _wsTeardown() {
    clearTimeout(this._wsOpenTimer);
    clearTimeout(this._wsStableTimer);
    clearTimeout(this._wsWatchdog);
    clearInterval(this._wsHeartbeat);
    if (this._ws) {
      this._ws.onmessage = null;
      this._ws.onclose = null;
      this._ws.onerror = null;
    }
    this._ws = null;
    const wasReady = this._wsReady;
    this._wsReady = false;
    for (const waiting of this._pending.splice(0)) waiting.resolve(null);
    return wasReady;
  }

  _wsClosed(code, countFailure = true) {
    this._wsTeardown();
    if (!this._running) return;
    if (countFailure) this._wsFailures += 1;
    if (this._offline) {
      this._setTransport("reconnecting"); // the "online" event brings us back
      return;
    }
    if (this._http) {
      this._scheduleWebSocketRetry(); // a retry from the fallback failed: back off further
      return;
    }
    if (this._wsFailures >= this.options.wsFailuresBeforeFallback) {
      this._startHttp();
      this._scheduleWebSocketRetry();
      return;
    }
    // Until a first connection, it is still "connecting": nothing was lost yet.
    this._setTransport(this.transport === "connecting" ? "connecting" : "reconnecting");
    // 4401: our ticket was refused; a fresh one comes with the next attempt.
    const delay = this.options.reconnectDelayMs * (0.5 + Math.random());
    this._wsRetryTimer = setTimeout(() => this._openWebSocket(), delay);
    void code;
  }

  _webSocketFailed() {
    this._wsClosed(0, true);
  }

  _scheduleWebSocketRetry(delayMs) {
    clearTimeout(this._wsRetryTimer);
    if (!this._running || !this._canUseWebSocket()) return;
    let delay = delayMs;
    if (delay === undefined) {
      // Exponential backoff with jitter, so that a clinic's tabs do not all retry at once.
      const ceiling = Math.min(this.options.wsRetryMaxMs, this.options.wsRetryBaseMs * 2 ** this._wsRetries);
      delay = ceiling / 2 + Math.random() * (ceiling / 2);
      this._wsRetries += 1;
    }
    this._wsRetryTimer = setTimeout(() => this._openWebSocket(), delay);
  }

  _giveUp(error) {
    this._emit("error", error);
    this.stop();
  }

  // --- HTTP fallback ---------------------------------------------------------------------------

  _startHttp() {
    if (this._http || !this._running) return;
    const http = { alive: true, heartbeatTimer: null, pollAbort: null, connected: false, wake: null };
    this._http = http;
    if (this.transport !== "http") this._setTransport(this.transport === "connecting" ? "connecting" : "reconnecting");
    this._httpHeartbeat().then(() => this._poll(http));
  }

  _stopHttp() {
    const http = this._http;
    if (!http) return;
    http.alive = false;
    clearTimeout(http.heartbeatTimer);
    if (http.pollAbort) http.pollAbort.abort();
    if (http.wake) http.wake();
    this._http = null;
  }

  _sayHttpGoodbye() {
    return this.request("DELETE", "/api/presence/heartbeat/", { connection: this.connectionId }, { keepalive: true });
  }

  async _httpHeartbeat() {
    const http = this._http;
    if (!http || !http.alive) return;
    clearTimeout(http.heartbeatTimer);
    try {
      const answer = await this.request("POST", "/api/presence/heartbeat/", { connection: this.connectionId });
      if (!http.alive) return;
      this.heartbeatSeconds = Number(answer.heartbeat_seconds) || this.heartbeatSeconds;
      this.timeoutSeconds = Number(answer.timeout_seconds) || this.timeoutSeconds;
      if (!http.connected) {
        http.connected = true;
        // The server forgets our subscriptions and status when we were offline: restate them.
        await this._resubscribe("http");
        if (!http.alive) return;
        this._setTransport("http");
        this._emit("ready", { transport: "http" });
      } else {
        this._setTransport("http");
      }
    } catch (error) {
      if (!http.alive) return;
      if (error instanceof TelepresenceError && error.status === 401) return this._giveUp(error);
      http.connected = false;
      this._setTransport("reconnecting");
    }
    if (http.alive) {
      const delay = http.connected ? this.heartbeatSeconds * 1000 : Math.min(this.heartbeatSeconds * 1000, 2000);
      http.heartbeatTimer = setTimeout(() => this._httpHeartbeat(), delay);
    }
  }

  async _poll(http) {
    let failures = 0;
    while (http.alive) {
      const abort = typeof AbortController === "function" ? new AbortController() : null;
      http.pollAbort = abort;
      // A long-poll that outlives its `wait` by far went through a dead network.
      const guard = abort && setTimeout(() => abort.abort(), (this.options.longPollSeconds + 10) * 1000);
      try {
        const query = this.cursor
          ? `?after=${encodeURIComponent(this.cursor)}&wait=${this.options.longPollSeconds}`
          : "";
        const page = await this.request("GET", `/api/events/${query}`, undefined, { signal: abort && abort.signal });
        if (!http.alive) return;
        failures = 0;
        if (page.truncated) this._emit("resync", { after: this.cursor });
        for (const event of page.events) this._deliver(event);
        if (!this.cursor || compareEventIds(page.cursor, this.cursor) > 0) this.cursor = page.cursor;
      } catch (error) {
        if (!http.alive) return;
        if (error instanceof TelepresenceError && error.status === 401) return this._giveUp(error);
        failures += 1;
        if (http.connected) this._setTransport("reconnecting");
        // Backs off while the server or the network is away; the "online" event cuts it short.
        await new Promise((resolve) => {
          http.wake = resolve;
          setTimeout(resolve, Math.min(1000 * 2 ** failures, 15000) * (0.5 + Math.random() / 2));
        });
        http.wake = null;
      } finally {
        if (guard) clearTimeout(guard);
      }
    }
  }

  // --- events, presence ------------------------------------------------------------------------

  _deliver(event) {
    // The one place events reach the application: never twice, never out of order.
    if (this.cursor && compareEventIds(event.id, this.cursor) <= 0) return;
    this.cursor = event.id;
    if (event.type === "presence.changed") {
      this._emit("presence", { user: event.user, status: event.status, at: event.at, event });
    }
    this._emit("event", event);
    this._emit(event.type, event);
  }

  _emitSnapshot(users) {
    for (const entry of users || []) {
      this._emit("presence", { user: entry.user, status: entry.status, last_seen: entry.last_seen, snapshot: true });
    }
  }

  async _resubscribe(transport) {
    const ids = [...this._subscribed];
    try {
      if (ids.length) {
        if (transport === "websocket") this._ask({ type: "presence.subscribe", users: ids }, "presence.snapshot").catch((error) => this._subscriptionRefused(ids, error));
        else this._emitSnapshot((await this.request("POST", "/api/presence/subscriptions/", { users: ids })).users);
      }
      if (this._desiredStatus && this._desiredStatus !== "online") {
        if (transport === "websocket") this._ask({ type: "presence.set", status: this._desiredStatus }, "presence.status").catch(() => {});
        else await this.request("PUT", "/api/presence/status/", { status: this._desiredStatus });
      }
    } catch (error) {
      if (error instanceof TelepresenceError && error.code === "forbidden") this._subscriptionRefused(ids, error);
      else this._emit("error", error);
    }
  }

  _subscriptionRefused(ids, error) {
    // Nothing was subscribed: forget these ids, so that every reconnect does not fail again.
    for (const id of ids) this._subscribed.delete(id);
    this._emit("error", error);
  }

  /** Watch users' presence; resolves with their snapshot ([] when not connected yet: the
   * snapshot then arrives as "presence" events once connected). */
  async subscribe(userIds) {
    const ids = [...new Set(userIds.map(String))].filter((id) => !this._subscribed.has(id));
    if (!ids.length) return [];
    for (const id of ids) this._subscribed.add(id);
    try {
      if (this._ws && this._wsReady) {
        return (await this._ask({ type: "presence.subscribe", users: ids }, "presence.snapshot")) || [];
      }
      if (this._http && this._http.connected) {
        const users = (await this.request("POST", "/api/presence/subscriptions/", { users: ids })).users;
        this._emitSnapshot(users);
        return users;
      }
      return [];
    } catch (error) {
      for (const id of ids) this._subscribed.delete(id);
      throw error;
    }
  }

  async unsubscribe(userIds) {
    const ids = userIds.map(String).filter((id) => this._subscribed.has(id));
    if (!ids.length) return;
    for (const id of ids) this._subscribed.delete(id);
    if (this._ws && this._wsReady) await this._ask({ type: "presence.unsubscribe", users: ids }, "presence.unsubscribed");
    else if (this._http && this._http.connected) await this.request("DELETE", "/api/presence/subscriptions/", { users: ids });
  }

  get subscriptions() {
    return [...this._subscribed];
  }

  /** "online", "away" or "busy" (only the server sets "offline"); kept across reconnects. */
  async setStatus(status) {
    this._desiredStatus = status;
    if (this._ws && this._wsReady) {
      await this._ask({ type: "presence.set", status }, "presence.status");
      return status;
    }
    if (this._http && this._http.connected) {
      await this.request("PUT", "/api/presence/status/", { status });
      return status;
    }
    return status; // applied once connected
  }

  /** A snapshot without subscribing. */
  async presenceOf(userIds) {
    const users = userIds.map(encodeURIComponent).join(",");
    return (await this.request("GET", `/api/presence/?users=${users}`)).users;
  }

  // --- waiting room (docs/waiting-room.md) -----------------------------------------------------

  queues() {
    return this.request("GET", "/api/queue/queues/");
  }

  queueJoin({ reason, queue } = {}) {
    const body = { reason };
    if (queue) body.queue = queue;
    return this.request("POST", "/api/queue/entries/", body);
  }

  queueEntries({ queue } = {}) {
    return this.request("GET", `/api/queue/entries/${queue ? `?queue=${encodeURIComponent(queue)}` : ""}`);
  }

  queueEntry(entryId) {
    return this.request("GET", `/api/queue/entries/${encodeURIComponent(entryId)}/`);
  }

  queueLeave(entryId) {
    return this._entryAction(entryId, "leave");
  }

  /** The doctor takes the best waiting patient: the entry, or null when nobody can be seen. */
  queueNext() {
    return this.request("POST", "/api/queue/next/");
  }

  queueClaim(entryId) {
    return this._entryAction(entryId, "claim");
  }

  queueStart(entryId) {
    return this._entryAction(entryId, "start");
  }

  queueComplete(entryId) {
    return this._entryAction(entryId, "complete");
  }

  queueRelease(entryId) {
    return this._entryAction(entryId, "release");
  }

  queueSetUrgency(entryId, urgency) {
    return this.request("PATCH", `/api/queue/entries/${encodeURIComponent(entryId)}/`, { urgency });
  }

  queueStats() {
    return this.request("GET", "/api/queue/stats/");
  }

  _entryAction(entryId, action) {
    return this.request("POST", `/api/queue/entries/${encodeURIComponent(entryId)}/${action}/`);
  }

  // --- appointments (docs/appointments.md) -----------------------------------------------------

  doctors({ specialty } = {}) {
    return this.request("GET", `/api/doctors/${specialty ? `?specialty=${encodeURIComponent(specialty)}` : ""}`);
  }

  /** Free slots: dates "YYYY-MM-DD" (the doctor's local dates), tz an IANA zone to answer in. */
  slots(doctorId, { start, end, tz } = {}) {
    const query = new URLSearchParamsLite({ start, end, tz }).toString();
    return this.request("GET", `/api/doctors/${encodeURIComponent(doctorId)}/slots/${query}`);
  }

  appointments(filters = {}) {
    const query = new URLSearchParamsLite(filters).toString();
    return this.request("GET", `/api/appointments/${query}`);
  }

  appointmentBook({ doctor, start, reason }) {
    return this.request("POST", "/api/appointments/", { doctor, start, reason });
  }

  appointmentReschedule(appointmentId, start) {
    return this._appointmentAction(appointmentId, "reschedule", { start });
  }

  appointmentCancel(appointmentId, reason = "") {
    return this._appointmentAction(appointmentId, "cancel", { reason });
  }

  appointmentCheckIn(appointmentId) {
    return this._appointmentAction(appointmentId, "check-in", {});
  }

  appointmentNoShow(appointmentId) {
    return this._appointmentAction(appointmentId, "no-show", {});
  }

  appointmentComplete(appointmentId) {
    return this._appointmentAction(appointmentId, "complete", {});
  }

  waitlistJoin(doctorId) {
    return this.request("POST", `/api/doctors/${encodeURIComponent(doctorId)}/waitlist/`);
  }

  waitlistLeave(doctorId) {
    return this.request("DELETE", `/api/doctors/${encodeURIComponent(doctorId)}/waitlist/`);
  }

  _appointmentAction(appointmentId, action, body) {
    return this.request("POST", `/api/appointments/${encodeURIComponent(appointmentId)}/${action}/`, body);
  }
}

/** The part of URLSearchParams we need, because React Native's is incomplete. */
class URLSearchParamsLite {
  constructor(values) {
    this.values = values;
  }

  toString() {
    const parts = Object.entries(this.values)
      .filter(([, value]) => value !== undefined && value !== null && value !== "")
      .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
    return parts.length ? `?${parts.join("&")}` : "";
  }
}

export default TelepresenceClient;
