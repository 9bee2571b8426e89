"""Live reload in a real browser: a saved post shows without touching the page, at the same scroll position."""

import shutil
import time

import pytest
from browser_fixtures import EXAMPLE, needs_mathjax, open_page, playwright_or_skip, wait_for_math
from browser_support import LiveServer, Watch

from quire import create_app

playwright_or_skip()

POST = "posts/2023-04-05-bandits-and-regret.md"
URL = "/posts/2023-04-05-bandits-and-regret/"


@pytest.fixture
def debug_site(tmp_path):
    """A copy of the example site, served as `flask run --debug` serves it."""
    site = tmp_path / "site"
    shutil.copytree(EXAMPLE, site)
    app = create_app(site, config={"DEBUG": True})
    app.extensions["quire.live"].linger = 0.5
    server = LiveServer(app)
    yield site, server.url, app.extensions["quire.live"]
    server.stop()


def wait_for_streams(hub, count: int) -> None:
    deadline = time.monotonic() + 10
    while hub.streams != count:
        assert time.monotonic() < deadline, f"{hub.streams} live-reload streams open, expected {count}"
        time.sleep(0.02)


def open_in_view(context, url: str):
    """Open a page and wait until it is in view: headless Chromium may show a new tab only a while after load."""
    page = open_page(context, url, math=False)
    page.wait_for_function("document.visibilityState === 'visible'", polling=100)
    return page


@needs_mathjax  # the reader's place is held through MathJax's typesetting; without it, the page logs the block
def test_a_saved_post_shows_without_touching_the_page(debug_site, new_context):
    site, url, hub = debug_site
    page = open_in_view(new_context(), url + URL)
    watch = Watch(page)
    wait_for_streams(hub, 1)
    wait_for_math(page)
    place = "document.querySelectorAll('main p')[6]"
    page.evaluate(f"scrollTo({{top: scrollY + {place}.getBoundingClientRect().top - 40, behavior: 'instant'}}); "
                  "window.quireBeforeReload = true")
    text, top = page.evaluate(f"[{place}.textContent, {place}.getBoundingClientRect().top]")
    assert 30 <= top <= 50 and page.evaluate("scrollY") > 500
    source = site / POST
    original = source.read_text(encoding="utf-8")
    with page.expect_navigation(wait_until="load"):
        source.write_text(original + "\nA sentence saved a moment ago.\n", encoding="utf-8")
    assert page.evaluate("window.quireBeforeReload === undefined"), "the page was not reloaded"
    assert page.get_by_text("A sentence saved a moment ago.").count() == 1
    wait_for_math(page)  # typesetting changes the heights above the reader's place: it stays in view
    page.wait_for_timeout(300)
    assert page.evaluate(f"[{place}.textContent, Math.round({place}.getBoundingClientRect().top)]") == \
        [text, pytest.approx(top, abs=3)]
    # A broken save shows the error page; fixing it brings the post back.
    wait_for_streams(hub, 1)
    with page.expect_navigation(wait_until="load"):
        source.write_text("---\ntitle: [never closed\n---\n", encoding="utf-8")
    assert "This post cannot be shown" in page.locator("h1").inner_text()
    wait_for_streams(hub, 1)
    with page.expect_navigation(wait_until="load"):
        source.write_text(original, encoding="utf-8")
    assert page.locator("h1.post-title").inner_text() == "Bandits and Regret"
    assert watch.console == [] or all("status of 500" in m for m in watch.console), watch.console


def test_a_closed_tab_closes_its_stream(debug_site, new_context):
    site, url, hub = debug_site
    context = new_context()
    page = open_in_view(context, url + "/")
    other = open_in_view(context, url + "/tags/")
    wait_for_streams(hub, 2)
    page.close()
    other.close()
    wait_for_streams(hub, 0)


def test_a_hidden_tab_lets_its_stream_go_and_catches_up_when_shown(debug_site, new_context):
    site, url, hub = debug_site
    page = open_in_view(new_context(), url + URL)
    wait_for_streams(hub, 1)
    hide = "hidden => { Object.defineProperty(document, 'hidden', {value: hidden, configurable: true}); " \
           "document.dispatchEvent(new Event('visibilitychange')); }"
    page.evaluate(hide, True)
    wait_for_streams(hub, 0)
    page.evaluate("window.quireBeforeReload = true")
    source = site / POST
    source.write_text(source.read_text(encoding="utf-8") + "\nSaved while the tab was hidden.\n", encoding="utf-8")
    time.sleep(0.5)  # the watcher has seen the save; the hidden tab has no stream to hear of it
    assert page.evaluate("window.quireBeforeReload") is True
    with page.expect_navigation(wait_until="load"):
        page.evaluate(hide, False)
    assert page.get_by_text("Saved while the tab was hidden.").count() == 1
