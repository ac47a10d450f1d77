"""Real clients for tests against real daphne processes: a WebSocket client that heartbeats on
its own thread like a browser would, and an HTTP-fallback client."""
from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from accounts.services import token_issue, ws_ticket_issue


class WsClient:
    def __init__(self, server: Any, user: Any, *, after: str | None = None, heartbeat: float = 0.5):
        query = f"?ticket={ws_ticket_issue(user=user)}" + (f"&after={after}" if after else "")
        self.socket = connect(server.ws_url + query, open_timeout=10)
        self.frames: queue.Queue[dict] = queue.Queue()
        self.closed = threading.Event()
        self._stop = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        self.welcome = self.expect("welcome")
        if heartbeat:
            threading.Thread(target=self._beat, args=(heartbeat,), daemon=True).start()

    def _read(self) -> None:
        try:
            for message in self.socket:
                frame = json.loads(message)
                if frame.get("type") != "heartbeat.ack":
                    self.frames.put(frame)
        except ConnectionClosed:
            pass
        finally:
            self.closed.set()

    def _beat(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.send({"type": "heartbeat"})
            except ConnectionClosed:
                return

    def send(self, frame: dict) -> None:
        self.socket.send(json.dumps(frame))

    def next(self, timeout: float = 5) -> dict:
        return self.frames.get(timeout=timeout)

    def expect(self, frame_type: str, timeout: float = 5) -> dict:
        frame = self.next(timeout)
        assert frame["type"] == frame_type, frame
        return frame

    def quiet_for(self, seconds: float) -> list[dict]:
        """Frames received during the next `seconds` (an empty list when nothing came)."""
        deadline = time.monotonic() + seconds
        received = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                received.append(self.frames.get(timeout=left))
            except queue.Empty:
                break
        return received

    def subscribe(self, *users: Any) -> dict:
        self.send({"type": "presence.subscribe", "users": [str(user.pk) for user in users]})
        return self.next()

    def close(self) -> None:
        self._stop.set()
        self.socket.close()


class HttpClient:
    """A client whose WebSocket is blocked: heartbeats by POST, events by long-poll."""

    def __init__(self, server: Any, user: Any, connection: str = "tab"):
        self.http = httpx.Client(
            base_url=server.http_url,
            headers={"Authorization": f"Token {token_issue(user=user).key}"},
            timeout=40,
        )
        self.connection = connection
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def heartbeat(self) -> httpx.Response:
        return self.http.post("/api/presence/heartbeat/", json={"connection": self.connection})

    def start_heartbeats(self, interval: float = 0.5) -> None:
        def beat() -> None:
            while not self._stop.wait(interval):
                try:
                    self.heartbeat()
                except httpx.HTTPError:
                    return  # the server went away: the test decides what that means

        self.heartbeat()
        self._thread = threading.Thread(target=beat, daemon=True)
        self._thread.start()

    def stop_heartbeats(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    def close(self) -> None:
        self.stop_heartbeats()
        self.http.close()
