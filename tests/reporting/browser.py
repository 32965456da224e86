"""Headless Chromium driven over the Chrome DevTools Protocol, for tests that look at a report as a reader would.

Debian's `chromium` (the Makefile's system-deps) is started with a fresh profile, no network services
of its own and `--remote-debugging-port=0`; it writes the port it chose into the profile's
DevToolsActivePort file. One WebSocket (websocket-client) carries every command, flattened to the one
page's session; events are kept in order, so a test can read every request the page made and every
script it compiled.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import websocket

__all__ = ["Page", "chromium"]

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars")
START_SECONDS = 30
COMMAND_SECONDS = 30


class Page:
    """One browser tab: send a command, wait for an event, evaluate an expression.

    `session` "" addresses the browser itself (Target.*); the tab's events are those of its session."""

    def __init__(self, socket: websocket.WebSocket, session: str = "") -> None:
        self._socket, self._session = socket, session
        self._next = 0
        self.events: list[dict[str, Any]] = []

    def attach(self, session: str) -> None:
        self._session = session

    def _receive(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self._socket.recv())
        if "id" not in message and message.get("sessionId", "") == self._session:
            self.events.append(message)
        return message

    def send(self, method: str, params: dict[str, Any] | None = None, *, browser: bool = False) -> dict[str, Any]:
        self._next += 1
        command: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if self._session and not browser:
            command["sessionId"] = self._session
        self._socket.send(json.dumps(command))
        deadline = time.monotonic() + COMMAND_SECONDS
        while time.monotonic() < deadline:
            message = self._receive()
            if message.get("id") == self._next:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
        raise TimeoutError(f"{method} got no answer in {COMMAND_SECONDS} s")

    def wait_for(self, method: str) -> dict[str, Any]:
        """The first event `method` (of this page) not yet waited for; events are also kept in `events`."""
        seen = 0
        deadline = time.monotonic() + COMMAND_SECONDS
        while time.monotonic() < deadline:
            for event in self.events[seen:]:
                if event.get("method") == method and not event.get("_waited"):
                    event["_waited"] = True
                    return event
            seen = len(self.events)
            self._receive()
        raise TimeoutError(f"no {method} in {COMMAND_SECONDS} s")

    def evaluate(self, expression: str) -> Any:
        answer = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in answer:
            raise RuntimeError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def open(self, url: str) -> None:
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False})["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def of(self, method: str) -> list[dict[str, Any]]:
        return [e["params"] for e in self.events if e.get("method") == method]


def _endpoint(profile: Path, process: subprocess.Popen[bytes]) -> str:
    """The browser's DevTools WebSocket address, from the DevToolsActivePort file (port, then path)."""
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with {process.returncode} before it listened")
        lines = marker.read_text().split() if marker.is_file() else []
        if len(lines) == 2:
            return f"ws://127.0.0.1:{int(lines[0])}{lines[1]}"
        time.sleep(0.05)  # polling a file the browser writes, not waiting on the code under test
    raise TimeoutError(f"chromium did not listen within {START_SECONDS} s")


@contextmanager
def chromium(profile: Path, *, width: int = 1200, height: int = 1600) -> Iterator[Page]:
    """A headless Chromium with a fresh profile in `profile`, and its one page (about:blank)."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        raise RuntimeError("chromium is not installed: run `make system-deps` (Debian's chromium package)")
    profile.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
                                f"--window-size={width},{height}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        socket = websocket.create_connection(_endpoint(profile, process), timeout=COMMAND_SECONDS,
                                             suppress_origin=True)
        try:
            page = Page(socket)
            target = page.send("Target.createTarget", {"url": "about:blank"}, browser=True)["targetId"]
            page.attach(page.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                  browser=True)["sessionId"])
            yield page
        finally:
            socket.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
