"""Browser fixtures: Debian's headless Chromium driven by Playwright, against real daphne.

Playwright never downloads a browser here: it drives /usr/bin/chromium (scripts/install-browser
installs it). Without it these tests fail, loudly, rather than skip: CI must run them.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from accounts.models import User

from ..conftest import ROOT, DaphneProcess

CHROMIUM = os.environ.get("TP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "browser-pass-1"
WS_URL = re.compile(r"/ws/")

# Playwright must never fetch browsers of its own.
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
# The waiting room's away grace in tests (tests/environment.py): the closed-tab test watches
# "away, then gone" happen at these times.
QUEUE_AWAY_GRACE_SECONDS = float(os.environ["QUEUE_AWAY_GRACE_SECONDS"])


@pytest.fixture
def browser() -> Iterator[object]:
    """A fresh Chromium per test (about half a second): Playwright stops before the database is
    flushed, which it must (below)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run scripts/install-browser "
            "(Debian's chromium package). The browser tests do not skip.",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: pip install -r requirements-dev.txt", pytrace=False)
    # WARNING: Playwright's sync API keeps an asyncio loop running in this thread while it is
    # started, and Django then refuses the test's ORM calls as "async". Allowed for the test's
    # body only, and taken back before pytest-django flushes the database (this fixture is set
    # up after the database one, so torn down before it) and before any later test starts a
    # process that would inherit it (`manage.py check --deploy` refuses it, rightly).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        try:
            yield chromium
        finally:
            if previous is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
            chromium.close()


@pytest.fixture(scope="session")
def web_server(django_db_setup: None, django_db_blocker: object) -> Iterator[DaphneProcess]:
    """A real daphne for the browser tests, with Django's async-safety checks on even when a
    browser test starts it."""
    server = DaphneProcess({"DJANGO_ALLOW_ASYNC_UNSAFE": ""})
    yield server
    server.stop()


@pytest.fixture
def new_context(browser: object) -> Iterator[Callable[..., object]]:
    """Separate browser contexts: separate cookies and storage, like two people's browsers."""
    contexts: list = []

    def make(**options: object) -> object:
        options.setdefault("viewport", {"width": 412, "height": 915})  # a phone
        context = browser.new_context(**options)  # type: ignore[attr-defined]
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        try:
            context.close()
        except Exception:  # noqa: BLE001 - a context closed by the test itself
            pass


def with_password(user: User) -> User:
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def open_page() -> Callable[..., object]:
    """Sign `user` in through the sign-in page in `context`; returns the page they land on."""

    def sign_in(context: object, server: object, user: User) -> object:
        with_password(user)
        page = context.new_page()  # type: ignore[attr-defined]
        page.goto(f"{server.http_url}/")  # type: ignore[attr-defined]
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/(patient|doctor|staff)/$"))
        return page

    return sign_in


def screenshot(page: object, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def refuse_websockets(context: object) -> None:
    """What a firewall that blocks WebSockets looks like to the page: every socket is closed."""
    context.route_web_socket(WS_URL, lambda ws: ws.close())  # type: ignore[attr-defined]
