"""Fixtures and page helpers of the browser tests (tests/test_browser_*.py; tests/conftest.py loads this plugin).

Every check runs against the live app and the frozen site of tests/example_site, each on a free loopback port. The
browser never leaves the machine: the MathJax CDN is answered from the local npm copy and every other outside
request is aborted. The example site is frozen once per session; the browser and the servers live for one module,
so that no thread of theirs outlasts the browser tests.
"""

import pytest
from browser_support import (
    AXE_JS,
    CHROMIUM,
    CHROMIUM_ARGS,
    MATHJAX_CDN,
    MATHJAX_DIR,
    PROJECT,
    LiveServer,
    StaticServer,
    route_outside,
)

from quire import create_app
from quire.freeze import freeze

EXAMPLE = PROJECT / "tests" / "example_site"  # the site at the project root is the user's, to replace
MATH_POST = "/posts/2024-03-02-score-matching/"
MATH_POST_SOURCE = EXAMPLE / "posts/2024-03-02-score-matching/index.md"
TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
LIGHT_BG, DARK_BG = "rgb(255, 255, 255)", "rgb(28, 29, 32)"

HAVE_MATHJAX = (MATHJAX_DIR / "tex-chtml.js").is_file()
needs_mathjax = pytest.mark.skipif(not HAVE_MATHJAX, reason=f"no local MathJax at {MATHJAX_DIR}/tex-chtml.js "
                                   "(npm install --prefix .cache/npm mathjax@3)")
needs_axe = pytest.mark.skipif(not AXE_JS.is_file(), reason=f"no axe-core at {AXE_JS} "
                               "(npm install --prefix .cache/npm axe-core@4)")


def playwright_or_skip():
    """Skip the calling test module where Chromium or Playwright is missing; else return playwright.sync_api."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
    return pytest.importorskip("playwright.sync_api",
                               reason="the playwright package is missing: pip install -e '.[test]'")


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def browser():
    sync_api = playwright_or_skip()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def example_frozen(tmp_path_factory):
    """The example site frozen into a temporary folder, once per session."""
    dest = tmp_path_factory.mktemp("frozen") / "site"
    freeze(create_app(EXAMPLE), dest, jobs=1)
    return dest


@pytest.fixture(scope="module")
def example(example_frozen):
    """The example site, live and frozen, each on its own loopback port."""
    live = LiveServer(create_app(EXAMPLE))
    frozen = StaticServer(example_frozen)
    yield {"live": live.url, "frozen": frozen.url, "folder": example_frozen}
    live.stop()
    frozen.stop()


@pytest.fixture(params=["live", "frozen"])
def base(request, example):
    return example[request.param]


@pytest.fixture
def new_context(browser):
    """Open browser contexts kept on loopback; close them all at the end of the test."""
    contexts = []

    def make(mathjax: str = "local" if HAVE_MATHJAX else "block", **options):
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        route_outside(context, mathjax)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def live_tmp(app):
    """The app over the test's tmp site, on a loopback port."""
    server = LiveServer(app)
    yield server.url
    server.stop()


# ---------------------------------------------------------------- helpers

def wait_for_math(page) -> None:
    """Wait until MathJax has typeset the page, when the page loads it (without the local copy, the contexts
    block it: nothing will typeset)."""
    if HAVE_MATHJAX and page.locator(f'script[src^="{MATHJAX_CDN}"]').count():
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("MathJax.startup.promise.then(() => true)")


def open_page(context, url: str, math: bool = True):
    page = context.new_page()
    page.goto(url, wait_until="load")
    if math and HAVE_MATHJAX:
        wait_for_math(page)
    return page


def look(page) -> dict:
    return page.evaluate("""() => ({
        attr: document.documentElement.getAttribute("data-theme"),
        bg: getComputedStyle(document.body).backgroundColor,
        pressed: document.getElementById("quire-theme-toggle").getAttribute("aria-pressed"),
        stored: localStorage.getItem("quire-theme"),
    })""")


def kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"
