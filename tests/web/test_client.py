"""The JavaScript client on its own, in Chromium, against a fake server (tests/web/js): the
switch to HTTP and back, resume without loss or repeats, resync, restated subscriptions."""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.django_db(transaction=True)]

FAKE = (Path(__file__).parent / "js" / "fake_server.js").read_text()
PRELUDE = """
const { TelepresenceClient, compareEventIds } = await import("/static/telepresence/presence-client.js");
const { fakeServer, until } = await import("/__test__/fake_server.js");
const server = fakeServer();
const make = (options = {}) => new TelepresenceClient({ token: "tok", fetch: server.fetch,
  WebSocket: server.WebSocket, connectionId: "tab-1", wsRetryBaseMs: 150, reconnectDelayMs: 20, ...options });
"""


@pytest.fixture
def run_js(web_server, new_context):
    page = new_context().new_page()
    page.route("**/__test__/fake_server.js", lambda route: route.fulfill(body=FAKE, content_type="text/javascript"))
    page.goto(f"{web_server.http_url}/signin/")

    def run(body: str):
        return page.evaluate(f"async () => {{ {PRELUDE}\n{body} }}")

    return run


def test_event_ids_compare_as_two_integers(run_js):
    assert run_js("""return [compareEventIds("999-0", "1000-0"), compareEventIds("1-10", "1-9"),
                     compareEventIds("5-5", "5-5"), compareEventIds("0", "1-0")];""") == [-1, 1, 0, -1]


def test_blocked_websockets_fall_back_to_http_then_move_back_with_every_event_once(run_js):
    result = run_js("""
      const client = make();
      const seen = [], transports = [], presence = [];
      client.on("event", (event) => seen.push(event.id));
      client.on("transport", ({ transport }) => transports.push(transport));
      client.on("presence", (p) => presence.push(`${p.user}:${p.status}`));
      client.subscribe(["doc-1"]);
      client.start();
      await until(() => client.transport === "http");
      const wsTriesBeforeHttp = server.wsUrls.length;
      server.append({ type: "presence.changed", id: "999-1", user: "doc-1", status: "away" });
      server.append({ type: "presence.changed", id: "1000-0", user: "doc-1", status: "busy" });
      await until(() => seen.length === 2);
      server.wsWorks = true;                          // the firewall lets WebSockets through again
      await until(() => client.transport === "websocket");
      server.append({ type: "presence.changed", id: "1000-1", user: "doc-1", status: "online" });
      await until(() => seen.length >= 3);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const socket = server.sockets[server.sockets.length - 1];
      const heartbeats = server.requests.filter((r) => r.path === "/api/presence/heartbeat/");
      await client.stop();
      return { seen, transports, presence, wsTriesBeforeHttp, lastUrl: socket.url,
               subscribedOnSocket: socket.sent.filter((f) => f.type === "presence.subscribe").map((f) => f.users),
               heartbeatOnSocket: socket.sent.some((f) => f.type === "heartbeat"),
               httpHeartbeats: heartbeats.filter((r) => r.method === "POST").map((r) => r.body.connection),
               httpGoodbye: heartbeats.some((r) => r.method === "DELETE" && r.body.connection === "tab-1"),
               httpSubscribed: server.requests.filter((r) => r.path === "/api/presence/subscriptions/").map((r) => r.body.users) };
    """)
    assert result["wsTriesBeforeHttp"] == 2  # two failures in a row, then HTTP
    assert result["transports"] == ["connecting", "http", "websocket", "stopped"]
    assert result["seen"] == ["999-1", "1000-0", "1000-1"]  # once each, in order, across the switch
    assert "after=1000-0" in result["lastUrl"]  # resumed from the cursor
    assert set(result["httpHeartbeats"]) == {"tab-1"}
    assert result["httpSubscribed"] == [["doc-1"]]
    assert result["subscribedOnSocket"] == [["doc-1"]]  # restated on the new transport
    assert result["heartbeatOnSocket"]
    assert result["httpGoodbye"]  # the HTTP connection closed cleanly once the socket was up
    assert "doc-1:busy" in result["presence"]


def test_a_socket_that_keeps_dropping_sends_the_client_to_http(run_js):
    result = run_js("""
      server.wsWorks = true;
      const client = make();
      client.start();
      await until(() => client.transport === "websocket");
      server.sockets[0].drop(1006);                    // drops at once...
      await until(() => server.sockets.length === 2 && server.sockets[1].live);
      server.wsWorks = false;
      server.sockets[1].drop(1006);                    // ...and again
      await until(() => client.transport === "http");
      const transport = client.transport;
      await client.stop();
      return transport;
    """)
    assert result == "http"


def test_a_reconnect_resumes_after_the_last_event_and_restates_status(run_js):
    result = run_js("""
      server.wsWorks = true;
      const client = make();
      const seen = [];
      client.on("event", (event) => seen.push(event.id));
      client.start();
      await until(() => client.transport === "websocket");
      await client.setStatus("busy");
      server.append({ type: "queue.changed", id: "5-0", entry: {} });
      await until(() => seen.length === 1);
      server.sockets[0].drop(1006);
      server.events.push({ type: "queue.changed", id: "5-1", entry: {} }); // while disconnected
      await until(() => server.sockets.length === 2 && client.transport === "websocket");
      await until(() => seen.length === 2);
      const second = server.sockets[1];
      await client.stop();
      return { seen, url: second.url, restated: second.sent.filter((f) => f.type === "presence.set").map((f) => f.status) };
    """)
    assert result["seen"] == ["5-0", "5-1"]
    assert "after=5-0" in result["url"]
    assert result["restated"] == ["busy"]


def test_lost_events_ask_the_page_to_resync(run_js):
    result = run_js("""
      server.wsWorks = true;
      const client = make();
      let resyncs = 0;
      client.on("resync", () => { resyncs += 1; });
      client.start();
      await until(() => client.transport === "websocket");
      server.sockets[0].frame({ type: "events.truncated", after: "1-0" });
      await client.stop();
      return resyncs;
    """)
    assert result == 1


def test_api_errors_carry_the_servers_code(run_js):
    result = run_js("""
      const client = make();
      try { await client.request("GET", "/api/nothing/"); return "no error"; }
      catch (error) { return [error.name, error.status, error.code]; }
    """)
    assert result == ["TelepresenceError", 404, "not_found"]
