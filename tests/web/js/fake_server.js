// A fake Telepresence server for the client's own tests: fetch and WebSocket implementations
// that the test steers (WebSockets refused or not, events appended, frames inspected).
export function fakeServer() {
  const server = {
    wsWorks: false, events: [], requests: [], sockets: [], wsUrls: [],
    append(event) { this.events.push(event); for (const socket of this.sockets) if (socket.live) socket.deliver(event); },
    after(cursor) { return this.events.filter((event) => !cursor || cmp(event.id, cursor) > 0); },
  };
  const cmp = (a, b) => { const [am, as] = a.split("-").map(Number); const [bm, bs] = b.split("-").map(Number); return am - bm || as - bs; };
  const reply = (status, body) => ({ status, ok: status < 400, text: async () => (body === null ? "" : JSON.stringify(body)) });

  server.fetch = async (url, options = {}) => {
    const parsed = new URL(url);
    const body = options.body ? JSON.parse(options.body) : null;
    server.requests.push({ method: options.method, path: parsed.pathname, query: parsed.search, body });
    if (parsed.pathname === "/api/auth/ws-ticket/") return reply(200, { ticket: "t" + server.requests.length });
    if (parsed.pathname === "/api/presence/heartbeat/") {
      return options.method === "DELETE" ? reply(204, null) : reply(200, { connection: body.connection, heartbeat_seconds: 0.2, timeout_seconds: 1 });
    }
    if (parsed.pathname === "/api/presence/subscriptions/") return reply(200, { users: body.users.map((user) => ({ user, status: "online", last_seen: null })) });
    if (parsed.pathname === "/api/events/") {
      const after = parsed.searchParams.get("after");
      const last = server.events.length ? server.events[server.events.length - 1].id : "0";
      if (!after) return reply(200, { events: [], cursor: last, truncated: false });
      await new Promise((resolve) => setTimeout(resolve, 30)); // a short long-poll
      const events = server.after(after);
      return reply(200, { events, cursor: events.length ? events[events.length - 1].id : after, truncated: Boolean(server.truncateNextPoll && !(server.truncateNextPoll = false)) });
    }
    return reply(404, { code: "not_found", detail: "no such fake" });
  };

  server.WebSocket = class FakeWebSocket {
    constructor(url) {
      this.url = url; this.sent = []; this.live = false;
      server.wsUrls.push(url); server.sockets.push(this);
      setTimeout(() => (server.wsWorks ? this.welcome() : this.drop(1006)), 5);
    }
    welcome() {
      const after = new URL(this.url).searchParams.get("after");
      const last = server.events.length ? server.events[server.events.length - 1].id : "0";
      this.live = true;
      this.frame({ type: "welcome", user: "u1", connection: "c", cursor: after || last, heartbeat_seconds: 0.2, timeout_seconds: 1 });
      if (after) {
        // Replays overlap with what the client already has: it must drop those.
        const all = server.events.filter((event) => cmp(event.id, after) >= 0);
        for (const event of [...all, ...all.slice(-1)]) this.deliver(event);
      }
    }
    deliver(event) { this.frame(event); }
    frame(frame) { if (this.onmessage) this.onmessage({ data: JSON.stringify(frame) }); }
    send(data) {
      const frame = JSON.parse(data);
      this.sent.push(frame);
      if (frame.type === "heartbeat") this.frame({ type: "heartbeat.ack" });
      if (frame.type === "presence.subscribe") this.frame({ type: "presence.snapshot", users: frame.users.map((user) => ({ user, status: "busy", last_seen: null })) });
      if (frame.type === "presence.set") this.frame({ type: "presence.status", status: frame.status });
    }
    drop(code) { this.live = false; if (this.onclose) this.onclose({ code }); }
    close() { this.live = false; }
  };
  return server;
}

export const until = async (check, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${check}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
