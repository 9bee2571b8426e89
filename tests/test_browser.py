"""In a real browser (headless Chromium): interactions, math, accessibility, page weight and screenshots.

Every check runs against the live app and the frozen site, each on a free loopback port. The browser never leaves
the machine: the MathJax CDN is answered from the local npm copy and every other outside request is aborted.
"""

import gzip
import itertools
import os
import re
from html.parser import HTMLParser
from urllib.parse import urlencode

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
    Watch,
    route_outside,
)

from quire import PROJECT_ROOT, create_app
from quire.freeze import freeze

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="the playwright package is missing: pip install -e '.[test]'")

HAVE_MATHJAX = (MATHJAX_DIR / "tex-chtml.js").is_file()
needs_mathjax = pytest.mark.skipif(not HAVE_MATHJAX, reason=f"no local MathJax at {MATHJAX_DIR}/tex-chtml.js "
                                   "(npm install --prefix .cache/npm mathjax@3)")
needs_axe = pytest.mark.skipif(not AXE_JS.is_file(), reason=f"no axe-core at {AXE_JS} "
                               "(npm install --prefix .cache/npm axe-core@4)")

TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
LIGHT_BG, DARK_BG = "rgb(255, 255, 255)", "rgb(28, 29, 32)"
MATH_POST = "/posts/2024-03-02-score-matching/"
MATH_POST_SOURCE = PROJECT_ROOT / "posts/2024-03-02-score-matching/index.md"
SCREENSHOTS = PROJECT / "docs" / "screenshots"
PAGE_TYPES = {
    "home": "/", "post": MATH_POST, "page": "/faq/", "tags": "/tags/", "tag": "/tags/probability/",
    "archives": "/archives/", "search": "/search/?q=gradient", "404": "/no-such-page/",
}
AXE_PAGES = {"home": "/", "post": MATH_POST, "tags": "/tags/", "archives": "/archives/",
             "search": "/search/?q=gradient"}


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The example site, live and frozen, each on its own loopback port."""
    live = LiveServer(create_app(PROJECT_ROOT))
    dest = tmp_path_factory.mktemp("frozen") / "site"
    freeze(create_app(PROJECT_ROOT), dest, jobs=1)
    frozen = StaticServer(dest)
    yield {"live": live.url, "frozen": frozen.url, "folder": dest}
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
    """Wait until MathJax has typeset the page, when the page loads it."""
    if page.locator(f'script[src^="{MATHJAX_CDN}"]').count():
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
        pressed: document.getElementById("theme-toggle").getAttribute("aria-pressed"),
        stored: localStorage.getItem("quire-theme"),
    })""")


def code_fences(markdown: str) -> list[str]:
    """Return the text of each fenced code block of a Markdown source, as CommonMark defines it."""
    return [m.group(3) for m in re.finditer(r"^(`{3,}|~{3,})([^\n]*)\n(.*?)^\1[ \t]*$", markdown,
                                                re.DOTALL | re.MULTILINE)]


def kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"


# ---------------------------------------------------------------- theme

def test_theme_toggle_switches_and_persists(base, new_context):
    page = open_page(new_context(color_scheme="light"), base + "/", math=False)
    assert look(page) == {"attr": None, "bg": LIGHT_BG, "pressed": "false", "stored": None}
    page.click("#theme-toggle")
    assert look(page) == {"attr": "dark", "bg": DARK_BG, "pressed": "true", "stored": "dark"}
    page.reload()
    assert look(page) == {"attr": "dark", "bg": DARK_BG, "pressed": "true", "stored": "dark"}
    page.click("text=Archive")
    page.wait_for_url("**/archives/")
    assert look(page)["bg"] == DARK_BG
    page.click("#theme-toggle")
    page.reload()
    assert look(page) == {"attr": "light", "bg": LIGHT_BG, "pressed": "false", "stored": "light"}


def test_theme_follows_os_until_chosen(base, new_context):
    page = open_page(new_context(color_scheme="dark"), base + "/", math=False)
    assert look(page) == {"attr": None, "bg": DARK_BG, "pressed": "true", "stored": None}
    toggle = page.locator("#theme-toggle")
    page.emulate_media(color_scheme="light")
    sync_api.expect(toggle).to_have_attribute("aria-pressed", "false")  # the media change event is async
    assert look(page) == {"attr": None, "bg": LIGHT_BG, "pressed": "false", "stored": None}
    page.emulate_media(color_scheme="dark")
    sync_api.expect(toggle).to_have_attribute("aria-pressed", "true")
    assert look(page)["bg"] == DARK_BG
    page.click("#theme-toggle")  # the reader chooses light while the OS says dark
    assert look(page) == {"attr": "light", "bg": LIGHT_BG, "pressed": "false", "stored": "light"}
    page.reload()
    assert look(page)["bg"] == LIGHT_BG
    page.emulate_media(color_scheme="light")
    page.click("#theme-toggle")
    page.emulate_media(color_scheme="dark")
    page.emulate_media(color_scheme="light")
    page.wait_for_timeout(100)
    assert look(page) == {"attr": "dark", "bg": DARK_BG, "pressed": "true", "stored": "dark"}


# Runs before any of the page's own scripts: notes the theme when the stylesheet and <body> first exist,
# and the background colour when the DOM is ready (the stylesheet has loaded by then, as deferred scripts wait).
FIRST_PAINT_PROBE = """
window.__paint = {};
new MutationObserver(() => {
  const p = window.__paint, theme = document.documentElement.getAttribute("data-theme");
  if (!("atStylesheet" in p) && document.querySelector('link[rel="stylesheet"]')) p.atStylesheet = theme;
  if (!("atBody" in p) && document.body) p.atBody = theme;
}).observe(document, {childList: true, subtree: true});
document.addEventListener("DOMContentLoaded", () => {
  window.__paint.ready = getComputedStyle(document.body).backgroundColor;
});
"""


@pytest.mark.parametrize("stored, os_scheme, bg", [("dark", "light", DARK_BG), ("light", "dark", LIGHT_BG),
                                                   (None, "dark", DARK_BG)])
def test_theme_never_flashes(base, new_context, stored, os_scheme, bg):
    context = new_context(mathjax="block", color_scheme=os_scheme)
    page = open_page(context, base + MATH_POST, math=False)
    if stored:
        page.click("#theme-toggle")
    assert look(page)["stored"] == stored
    head = page.evaluate("""() => Array.from(document.head.children)
        .filter(e => e.matches('script:not([type]), script[type="text/javascript"], link[rel="stylesheet"]'))
        .map(e => e.tagName + (e.src ? " src" : "") + " " + e.textContent.length)""")
    assert head[0].startswith("SCRIPT ") and " src" not in head[0], head  # inline, before the stylesheet
    assert int(head[0].split()[-1]) < 300, "the theme script should stay tiny"
    assert head[1].startswith("LINK"), head
    context.add_init_script(FIRST_PAINT_PROBE)
    for url in (base + MATH_POST, base + "/", base + "/search/"):
        page.goto(url)
        probe = page.evaluate("window.__paint")
        assert probe == {"atStylesheet": stored, "atBody": stored, "ready": bg}, (url, probe)


# ---------------------------------------------------------------- TOC, anchors, copy, scroll-to-top

HEADING_AT_TOP = """(id) => {
  const el = document.getElementById(id), top = el.getBoundingClientRect().top;
  const bottom = Math.ceil(scrollY + innerHeight) >= document.documentElement.scrollHeight - 1;
  const atTop = Math.abs(top - parseFloat(getComputedStyle(el).scrollMarginTop)) < 3;
  return location.hash === "#" + id && document.querySelector(":target") === el
    && (atTop || (bottom && top >= 0 && top < innerHeight));
}"""


def test_toc_and_heading_anchors(base, new_context):
    page = open_page(new_context(reduced_motion="reduce"), base + MATH_POST)  # jumps without smooth scrolling
    toc = page.locator("details.toc")
    assert not toc.evaluate("d => d.open")
    assert not page.locator("details.toc nav a").first.is_visible()
    page.click("details.toc summary")
    assert toc.evaluate("d => d.open")
    links = page.locator("details.toc nav a")
    hrefs = links.evaluate_all("as => as.map(a => a.getAttribute('href'))")
    ids = page.evaluate("Array.from(document.querySelectorAll('.post-content [id]'), e => e.id)")
    assert len(hrefs) >= 8 and all(h.startswith("#") and h[1:] in ids for h in hrefs), hrefs
    for n in (0, len(hrefs) // 2, len(hrefs) - 1, 1):
        links.nth(n).click()
        page.wait_for_function(HEADING_AT_TOP, arg=hrefs[n][1:])
    headings = page.locator(".post-content :is(h1, h2, h3, h4)[id]")
    assert headings.count() >= len(hrefs)
    for heading in headings.all():
        anchor = heading.locator("a.anchor")
        assert anchor.get_attribute("href") == "#" + heading.get_attribute("id")
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
    third = headings.nth(2)
    third.hover()
    assert float(third.locator("a.anchor").evaluate("a => getComputedStyle(a).opacity")) > 0.5
    third.locator("a.anchor").click()
    page.wait_for_function(HEADING_AT_TOP, arg=third.get_attribute("id"))
    page.reload()  # a shared link with a #fragment lands on its heading
    page.wait_for_function(HEADING_AT_TOP, arg=third.get_attribute("id"))


def copied_texts(page) -> list[str]:
    buttons = page.locator(".code-block .copy-code")
    texts = []
    for n in range(buttons.count()):
        page.evaluate("navigator.clipboard.writeText('')")
        buttons.nth(n).click()
        sync_api.expect(buttons.nth(n)).to_have_text("Copied!")
        texts.append(page.evaluate("navigator.clipboard.readText()"))
    return texts


def test_copy_button_copies_exactly_the_code(base, new_context):
    context = new_context(mathjax="block", permissions=["clipboard-read", "clipboard-write"])
    page = open_page(context, base + MATH_POST, math=False)
    expected = code_fences(MATH_POST_SOURCE.read_text(encoding="utf-8"))
    assert len(expected) == 3
    assert copied_texts(page) == expected


TRICKY_CODE = [
    ("python", 'def f(x):\n\t"""Tab; <b>not bold</b> & &amp;"""\n\n\n    return x ** 2  # spaces after   \n'),
    ("nosuchlanguage", "$x_1$ and $$y$$ stay dollars, \\( \\) and \\\\ stay backslashes\n  * not a list\n"),
    ("", "<script>alert(1)</script>\n→ unicode ✓ 𝔼[x]\n"),
]


def test_copy_button_copies_tricky_code(builder, live_tmp, new_context):
    body = "Math $a_1$ first.\n\n" + "\n".join(f"```{lang}\n{code}```\n" for lang, code in TRICKY_CODE)
    builder.post("2024-01-01-code", title="Code", body=body)
    context = new_context(permissions=["clipboard-read", "clipboard-write"])
    page = open_page(context, live_tmp + "/posts/2024-01-01-code/")  # MathJax has run and left the code alone
    assert page.locator(".post-content mjx-container").count() == (1 if HAVE_MATHJAX else 0)
    assert copied_texts(page) == [code for _, code in TRICKY_CODE]


def test_scroll_to_top(base, new_context):
    page = open_page(new_context(mathjax="block"), base + MATH_POST, math=False)
    button = page.locator("#to-top")
    assert not button.is_visible()
    page.evaluate("window.scrollTo({top: 3000, behavior: 'instant'})")
    sync_api.expect(button).to_be_visible()
    sync_api.expect(button).to_have_class(re.compile(r"\bvisible\b"))
    box = button.bounding_box()
    assert box["x"] + box["width"] <= DESKTOP["width"] and box["y"] + box["height"] <= DESKTOP["height"]
    button.click()
    page.wait_for_function("window.scrollY === 0")
    sync_api.expect(button).to_be_hidden()


# ---------------------------------------------------------------- search

# Notes when the search box is first typed into and when the first result appears.
SEARCH_PROBE = """
window.__search = {};
document.addEventListener("input", () => { window.__search.typed ??= performance.now(); }, true);
document.addEventListener("DOMContentLoaded", () => {
  new MutationObserver(() => {
    if (document.querySelector("#search-results .search-result")) window.__search.result ??= performance.now();
  }).observe(document.getElementById("search-results"), {childList: true});
});
"""
BYTES_BEFORE = """(until) => {
  const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
    .filter(e => e.responseEnd <= until);
  return {bytes: entries.reduce((sum, e) => sum + (e.transferSize || e.encodedBodySize), 0),
          requests: entries.length, names: entries.map(e => e.name.replace(location.origin, ""))};
}"""


def result_titles(page) -> list[str]:
    return page.locator("#search-results .result-title").all_inner_texts()


def test_search(base, new_context, example):
    context = new_context()
    context.add_init_script(SEARCH_PROBE)
    page = open_page(context, base + "/search/", math=False)
    box = page.locator("#search-input")
    sync_api.expect(box).to_be_focused()
    box.press_sequentially("partition", delay=20)  # a word from a post's body, not from any title
    sync_api.expect(page.locator("#search-results .result-title").first).to_have_text("Notes on Score Matching")
    timing = page.evaluate("window.__search")
    cost = page.evaluate(BYTES_BEFORE, timing["result"])
    server = "live" if base == example["live"] else "frozen"
    print(f"\nsearch ({server}): {kb(cost['bytes'])} in {cost['requests']} requests before the first result "
          f"({', '.join(cost['names'])}); first result {timing['result'] - timing['typed']:.0f} ms after the "
          f"first keystroke, {timing['result']:.0f} ms after navigation start")
    assert cost["bytes"] < 150 * 1024
    assert page.locator("#search-results mark").count() > 0

    box.fill("partiton")  # one letter dropped
    sync_api.expect(page.locator("#search-status")).to_contain_text("for \u201cpartiton\u201d")
    assert "Notes on Score Matching" in result_titles(page)
    box.fill("imortance")
    sync_api.expect(page.locator("#search-status")).to_contain_text("imortance")
    assert result_titles(page)[0] == "Variational Inference Without Tears"

    box.fill("gradient")
    sync_api.expect(page.locator("#search-status")).to_contain_text("gradient")
    links = page.locator("#search-results a")
    assert links.count() >= 3
    box.press("ArrowDown")
    sync_api.expect(links.nth(0)).to_have_class(re.compile(r"\bactive\b"))
    box.press("ArrowDown")
    sync_api.expect(links.nth(1)).to_have_class(re.compile(r"\bactive\b"))
    sync_api.expect(links.nth(0)).not_to_have_class(re.compile(r"\bactive\b"))
    box.press("ArrowUp")
    sync_api.expect(links.nth(0)).to_have_class(re.compile(r"\bactive\b"))
    box.press("ArrowUp")  # wraps round to the last result
    sync_api.expect(links.last).to_have_class(re.compile(r"\bactive\b"))
    box.press("ArrowDown")
    target = links.nth(0).get_attribute("href")
    box.press("Enter")
    page.wait_for_url(base + target)

    page.go_back()
    page.wait_for_url("**/search/")
    page.locator("#search-input").fill("gradient")
    sync_api.expect(page.locator("#search-results .search-result").first).to_be_visible()
    page.keyboard.press("Escape")
    sync_api.expect(page.locator("#search-input")).to_have_value("")
    sync_api.expect(page.locator("#search-results .search-result")).to_have_count(0)
    sync_api.expect(page.locator("#search-status")).to_have_text("")

    page.goto(base + "/search/?q=partition")  # a shared search link
    sync_api.expect(page.locator("#search-results .result-title").first).to_have_text("Notes on Score Matching")
    sync_api.expect(page.locator("#search-input")).to_have_value("partition")


def test_search_shows_hostile_text_as_text(builder, live_tmp, new_context):
    title = "Pwn <img src=x onerror=\"window.__pwned=1\"> title"
    builder.post("evil", title=title, body="Code `<b onmouseover=1>bold</b><script>window.__pwned=2</script>` "
                                           "shown as text.")
    page = open_page(new_context(), live_tmp + "/search/", math=False)
    page.locator("#search-input").fill("bold")
    snippet = page.locator("#search-results .result-snippet").first
    sync_api.expect(snippet).to_contain_text("<b onmouseover=1>bold</b><script>window.__pwned=2</script>")
    sync_api.expect(snippet.locator("mark")).to_have_text("bold")  # the snippet's own markup still works
    sync_api.expect(page.locator("#search-results .result-title")).to_have_text(title)
    query = "<img src=x onerror=window.__pwned=3> pwn"
    page.locator("#search-input").fill(query)
    sync_api.expect(page.locator("#search-status")).to_have_text(f"1 result for \u201c{query}\u201d")
    page.goto(live_tmp + "/search/?" + urlencode({"q": query}))  # the server's answer, then the client's
    sync_api.expect(page.locator("#search-status")).to_have_text(f"1 result for \u201c{query}\u201d")
    sync_api.expect(page.locator("#search-input")).to_have_value(query)
    assert page.locator("#search-results img, #search-results script, #search-results b").count() == 0
    assert page.evaluate("window.__pwned") is None


# ---------------------------------------------------------------- narrow screens

NO_SIDEWAYS = """() => {
  const doc = document.documentElement;
  const boxes = [...document.querySelectorAll("pre, .math.display, mjx-container, .table-wrap")]
    .filter(e => e.scrollWidth > e.clientWidth + 1)
    .map(e => ({tag: e.tagName.toLowerCase() + (e.getAttribute("display") === "true" ? "[display]" : ""),
                overflow: getComputedStyle(e).overflowX,
                right: Math.round(e.getBoundingClientRect().right)}));
  const wide = [...document.body.querySelectorAll("*")].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > doc.clientWidth + 1 && !e.closest("pre, .math.display, mjx-container, .table-wrap");
  }).slice(0, 5).map(e => e.tagName.toLowerCase() + "." + e.className);
  return {scroll: doc.scrollWidth, inner: innerWidth, boxes, wide};
}"""


def test_narrow_screen_menu_and_no_sideways_scroll(base, new_context):
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = open_page(context, base + "/")
    items = page.locator(".menu a")
    assert items.count() == 6
    boxes = []
    for item in items.all():
        sync_api.expect(item).to_be_visible()
        item.click(trial=True)  # nothing covers it
        box = item.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], item.inner_text()
        assert box["height"] >= 24, item.inner_text()
        boxes.append(box)
    for a, b in itertools.pairwise(boxes):
        assert a["x"] + a["width"] <= b["x"] + 0.5 or a["y"] + a["height"] <= b["y"] + 0.5, (a, b)
    page.locator(".menu a", has_text="Archive").tap()
    page.wait_for_url("**/archives/")
    page.locator("#theme-toggle").tap()
    assert look(page)["attr"] == "dark"
    scrolled = {}
    for path in ("/", MATH_POST, "/posts/2025-02-14-attention-step-by-step/", "/tags/", "/archives/",
                 "/search/?q=gradient", "/faq/"):
        page.goto(base + path)
        if HAVE_MATHJAX:
            wait_for_math(page)
        if "search" in path:
            page.locator("#search-results .search-result").first.wait_for()
        layout = page.evaluate(NO_SIDEWAYS)
        assert layout["inner"] == PHONE["width"], (path, layout)
        assert layout["scroll"] <= PHONE["width"] and not layout["wide"], (path, layout)
        for box in layout["boxes"]:
            assert box["overflow"] in ("auto", "scroll") and box["right"] <= PHONE["width"], (path, box)
        scrolled[path] = len(layout["boxes"])
    assert scrolled[MATH_POST] > 0, "long math or code should scroll inside its own box"


LONG_BODY = r"""
Inline math that is long: $a_1 + a_2 + a_3 + a_4 + a_5 + a_6 + a_7 + a_8 + a_9 + a_{10} + a_{11} + a_{12} = b$.

$$
\sum_{i=1}^{n} \left( x_i - \bar{x} \right)^2 + \sum_{j=1}^{m} \left( y_j - \bar{y} \right)^2
  + \sum_{k=1}^{p} \left( z_k - \bar{z} \right)^2 = \mathrm{a\ very\ long\ total}
$$

```python
value = some_function_with_a_long_name(argument_number_one, argument_number_two, argument_number_three)
```

| column one | column two | column three | column four | column five | column six |
|---|---|---|---|---|---|
| $a_1 + a_2 + a_3$ | $b_1 + b_2 + b_3$ | $c_1 + c_2 + c_3$ | $d_1 + d_2 + d_3$ | $e_1 + e_2$ | $f_1 + f_2$ |

A long word: Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichenherstellungsbetrieb, and a long URL:
<https://example.org/a/very/long/path/that/does/not/break/anywhere/at/all/on/a/narrow/screen/index.html>.
"""


def test_narrow_screen_long_math_code_and_tables_scroll_in_their_box(builder, live_tmp, new_context):
    builder.post("2024-01-01-long", title="Long things", body=LONG_BODY)
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = open_page(context, live_tmp + "/posts/2024-01-01-long/")
    layout = page.evaluate(NO_SIDEWAYS)
    assert layout["scroll"] <= PHONE["width"] and not layout["wide"], layout
    kinds = {box["tag"] for box in layout["boxes"]}
    assert {"pre", "div", "mjx-container", "mjx-container[display]"} <= kinds, layout  # each scrolls in its box
    for box in layout["boxes"]:
        assert box["overflow"] in ("auto", "scroll") and box["right"] <= PHONE["width"], box


# ---------------------------------------------------------------- console, requests, math

@needs_mathjax
def test_no_console_errors_or_failed_requests(base, new_context):
    context = new_context()
    problems = []
    for kind, path in PAGE_TYPES.items():
        page = context.new_page()
        watch = Watch(page)
        response = page.goto(base + path, wait_until="load")
        wait_for_math(page)
        if kind == "search":
            page.locator("#search-results .search-result").first.wait_for()
            page.locator("#search-input").fill("langevin")
            page.locator("#search-status").filter(has_text="langevin").wait_for()
        page.wait_for_load_state("networkidle")
        if kind == "404":
            assert response.status == 404 and "Page not found" in page.title()
            expected = [f"{base}{path} (HTTP 404)"]
            assert watch.failed == expected, watch.failed
            watch.console = [m for m in watch.console if "status of 404" not in m]
            watch.failed = []
        else:
            assert response.status == 200, path
        problems += [f"{kind}: {p}" for p in watch.console + watch.failed]
        page.close()
    assert problems == []


RAW_TEX = """() => {
  const walker = document.createTreeWalker(document.querySelector(".post-content"), NodeFilter.SHOW_TEXT, {
    acceptNode: n => n.parentElement.closest("pre, code, mjx-container, script") ? NodeFilter.FILTER_REJECT
                                                                                 : NodeFilter.FILTER_ACCEPT});
  const raw = [];
  for (let n; (n = walker.nextNode());) {
    const text = n.textContent;
    if (/\\\\\\(|\\\\\\[|\\$\\$|\\\\(frac|nabla|mathbb|sum)\\b/.test(text)) raw.push(text.slice(0, 60));
  }
  return raw;
}"""


@needs_mathjax
def test_math_renders(example, new_context):
    context = new_context()
    folder = example["folder"]
    posts = sorted(p.parent.name for p in folder.glob("posts/*/index.html"))
    assert len(posts) >= 6
    for base in (example["live"], example["frozen"]):
        for slug in posts if base == example["frozen"] else [MATH_POST.split("/")[2]]:
            page = open_page(context, f"{base}/posts/{slug}/")
            math = page.locator(".post-content .math").count()
            rendered = page.locator(".post-content .math mjx-container").count()
            assert math > 50 and rendered == math, (slug, math, rendered)
            assert page.locator("mjx-merror, .post-content mjx-container[data-mjx-error]").count() == 0, slug
            assert page.evaluate(RAW_TEX) == [], slug
            assert page.locator(".post-content").inner_text().count("$") <= 2, slug
            page.close()


def test_math_page_readable_when_cdn_blocked(base, new_context):
    context = new_context(mathjax="block")
    page = context.new_page()
    watch = Watch(page)
    page.goto(base + MATH_POST, wait_until="load")
    page.wait_for_load_state("networkidle")
    mathjax = f"{MATHJAX_CDN}startup.js"
    assert [f.split(" (")[0] for f in watch.failed] == [mathjax], watch.failed
    assert all("ERR_BLOCKED_BY_CLIENT" in m for m in watch.console), watch.console
    assert page.locator("mjx-container").count() == 0
    text = page.locator(".post-content").inner_text()
    assert r"\nabla_x \log p_\theta(x)" in text and r"\begin{aligned}" in text
    display = page.locator(".post-content .math.display").first
    sync_api.expect(display).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    color = display.evaluate("e => getComputedStyle(e).color")
    assert color == page.evaluate("getComputedStyle(document.body).color")


# ---------------------------------------------------------------- accessibility

@needs_axe
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_no_serious_violations(example, new_context, theme):
    context = new_context(color_scheme=theme)
    found = []
    for kind, path in AXE_PAGES.items():
        page = open_page(context, example["frozen"] + path)
        if kind == "search":
            page.locator("#search-results .search-result").first.wait_for()
        page.add_script_tag(path=str(AXE_JS))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        for violation in result["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:5]]
                found.append(f"{kind}: {violation['id']} ({violation['impact']}): {violation['help']} {targets}")
        page.close()
    assert found == []


CONTRAST = """(selector) => {
  const parse = c => { const p = c.match(/[\\d.]+/g).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (fg, bg) => [0, 1, 2].map(i => fg[i] * fg[3] + bg[i] * (1 - fg[3]));
  const linear = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = rgb => { const [r, g, b] = rgb.map(linear); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const background = el => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    return layers.reverse().reduce((bg, layer) => over(layer, bg), [255, 255, 255]);
  };
  const seen = new Map();
  for (const el of document.querySelectorAll(selector)) {
    if (!el.textContent.trim()) continue;
    const bg = background(el), fg = over(parse(getComputedStyle(el).color), bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const key = el.tagName.toLowerCase() + "." + el.className + " " + getComputedStyle(el).color;
    const ratio = Math.round((hi + 0.05) / (lo + 0.05) * 100) / 100;
    if (!seen.has(key) || seen.get(key).ratio > ratio) seen.set(key, {ratio, sample: el.textContent.slice(0, 24)});
  }
  return Object.fromEntries(seen);
}"""


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_code_contrast_meets_wcag_aa(example, new_context, theme):
    context = new_context(color_scheme=theme)
    low, counted = [], 0
    for slug in ("2025-02-14-attention-step-by-step", "2024-03-02-score-matching",
                 "2023-09-10-kernel-tricks-in-practice"):
        page = open_page(context, f"{example['frozen']}/posts/{slug}/", math=False)
        styles = page.evaluate(CONTRAST, ".post-content code, .post-content code span, .post-content p, "
                                         ".post-meta, .post-content blockquote, .toc summary")
        counted += len(styles)
        low += [f"{slug}: {key} {value}" for key, value in styles.items() if value["ratio"] < 4.5]
        page.close()
    assert counted > 15 and low == []


FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  window.__kb = window.__kb || new Map();
  if (!window.__kb.has(el)) window.__kb.set(el, window.__kb.size);
  const cs = getComputedStyle(el), r = el.getBoundingClientRect();
  const name = el.getAttribute("aria-label") || el.textContent || el.value || el.tagName;
  return {id: window.__kb.get(el), name: name.trim().slice(0, 40),
          ring: el.matches(":focus-visible") && cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2,
          inView: r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight};
}"""
UNREACHED = """() => [...document.querySelectorAll(
    'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])')]
  .filter(el => !el.disabled && el.checkVisibility({visibilityProperty: true}) && !(window.__kb && window.__kb.has(el)))
  .map(el => el.outerHTML.slice(0, 100))"""


def tab_through(page, limit: int = 400) -> list[dict]:
    """Press Tab until focus comes round again (past the page's end, to its start); return what got focus."""
    seen, order, idle = set(), [], 0
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:  # between the last element and the first, focus is on the browser's own UI
            idle += 1
            if idle > 2:
                break
            continue
        idle = 0
        if focused["id"] in seen:
            break
        seen.add(focused["id"])
        order.append(focused)
    return order


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_keyboard_reaches_everything_with_a_visible_focus_ring(example, new_context, theme):
    context = new_context(color_scheme=theme, reduced_motion="reduce")  # focus scrolls into view at once
    page = open_page(context, example["frozen"] + "/")
    order = tab_through(page)
    names = [f["name"] for f in order]
    assert names[:9] == ["Skip to content", "Lil'Log", "Switch between dark and light theme", "Posts", "Archive",
                         "Search", "Tags", "FAQ", "emojisearch.app\u2197"], names[:9]
    for path in ("/", MATH_POST, "/tags/", "/archives/", "/search/?q=gradient"):
        page = open_page(context, example["frozen"] + path)
        if "search" in path:
            page.locator("#search-results .search-result").first.wait_for()
        if path == MATH_POST:
            page.evaluate("document.querySelector('details.toc').open = true")  # its links count too
        order = tab_through(page)
        assert len(order) > 8, path
        assert [f for f in order if not f["ring"] or not f["inView"]] == [], path
        assert page.evaluate(UNREACHED) == [], path
        page.close()


# ---------------------------------------------------------------- weight

class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.bad: list[dict] = []
        self.count = 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "img":
            self.count += 1
            if values.get("loading") != "lazy" or not values.get("width") or not values.get("height"):
                self.bad.append(values)


def test_images_lazy_and_sized(example, new_context):
    images = 0
    for path in example["folder"].rglob("*.html"):
        parser = _Images()
        parser.feed(path.read_text(encoding="utf-8"))
        assert parser.bad == [], path
        images += parser.count
    assert images >= 4
    page = open_page(new_context(), example["frozen"] + MATH_POST, math=False)
    sized = page.evaluate("""() => [...document.images].map(i => [i.loading, i.getAttribute('width'),
        i.getAttribute('height'), i.getBoundingClientRect().height > 0])""")
    assert sized and all(s[0] == "lazy" and s[1] and s[2] and s[3] for s in sized), sized


def test_no_blocking_scripts_and_system_fonts(base, new_context):
    context = new_context()
    for kind, path in PAGE_TYPES.items():
        page = context.new_page()
        fonts = []
        page.on("request", lambda r, fonts=fonts: r.resource_type == "font" and fonts.append(r.url))
        response = page.goto(base + path, wait_until="load")
        # The <head> as served (MathJax's loader later adds its own async scripts to the live DOM).
        head = response.text().split("</head>", 1)[0]
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", head, re.S)
        code = [(attrs, body) for attrs, body in scripts if "application/ld+json" not in attrs]
        assert len(code) == 1 and "src=" not in code[0][0] and len(code[0][1]) < 300, (kind, scripts)
        body_scripts = page.evaluate("""[...document.body.querySelectorAll("script[src]")]
            .map(s => s.defer || s.async)""")
        assert all(body_scripts), kind
        styles = page.evaluate("""[...document.querySelectorAll('link[rel~="stylesheet"]')].map(s => s.href)""")
        assert len(styles) == 1 and styles[0].startswith(base), (kind, styles)
        if kind != "post":
            assert fonts == [], (kind, fonts)  # system fonts; only MathJax brings its own
        page.close()
    css = context.request.get(f"{base}/assets/quire.css").text()
    assert "@font-face" not in css and "@import" not in css


def test_post_weight(example, new_context):
    context = new_context(mathjax="block")
    rows, heavy = [], []
    for folder in sorted(example["folder"].glob("posts/*/index.html")):
        page = context.new_page()
        responses = []
        page.on("response", lambda response, seen=responses: seen.append(response))
        page.goto(f"{example['frozen']}/posts/{folder.parent.name}/", wait_until="load")
        own = {"html": 0, "css": 0, "js": 0, "images": 0}
        zipped = 0
        for response in responses:
            if not response.url.startswith(example["frozen"]):
                continue  # MathJax, from its CDN, is not the post's own weight
            body = response.body()
            kind = {"document": "html", "stylesheet": "css", "script": "js", "image": "images"}.get(
                response.request.resource_type)
            if kind:
                own[kind] += len(body)
                zipped += len(gzip.compress(body)) if kind != "images" else 0
        total = own["html"] + own["css"] + own["js"]
        rows.append(f"{folder.parent.name:40} HTML {kb(own['html']):>8}  CSS {kb(own['css']):>7}  "
                    f"JS {kb(own['js']):>6}  = {kb(total):>8} ({kb(zipped)} gzipped)  + images {kb(own['images'])}")
        if total >= 100 * 1024:
            heavy.append(folder.parent.name)
        page.close()
    print("\npost weight (own HTML + CSS + JS, MathJax excluded):\n  " + "\n  ".join(rows))
    assert len(rows) >= 6 and heavy == []


# ---------------------------------------------------------------- screenshots

VI_POST = "/posts/2024-05-28-variational-inference/"
SHOTS = [  # name, path, element scrolled to the top (or none), widths
    ("home", "/", None, ("desktop", "mobile")),
    ("post", MATH_POST, None, ("desktop", "mobile")),
    ("post-figure", MATH_POST, "#what-a-score-looks-like", ("desktop",)),
    ("post-code-table", VI_POST, ".post-content .code-block", ("desktop",)),
    ("tags", "/tags/", None, ("desktop", "mobile")),
    ("archives", "/archives/", None, ("desktop", "mobile")),
    ("search", "/search/?q=langevin", None, ("desktop", "mobile")),
]


# Resolves once fonts are ready, the images in view have loaded, and two frames have been painted.
SETTLED = """() => document.fonts.ready.then(() => Promise.all([...document.images].filter(i => {
  const r = i.getBoundingClientRect();
  return r.bottom > 0 && r.top < innerHeight;
}).map(i => i.decode().catch(() => null)))).then(() => new Promise(done => {
  requestAnimationFrame(() => requestAnimationFrame(done));
}))"""


@needs_mathjax
def test_screenshots(example, new_context):
    """Write docs/screenshots/<page>-<theme>-<width>.png (viewport height) of the frozen example site."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    written = []
    for theme in ("light", "dark"):
        for size, viewport in (("desktop", DESKTOP), ("mobile", PHONE)):
            context = new_context(color_scheme=theme, viewport=viewport, is_mobile=size == "mobile",
                                  has_touch=size == "mobile", reduced_motion="reduce")
            for name, path, anchor, sizes in SHOTS:
                if size not in sizes:
                    continue
                page = open_page(context, example["frozen"] + path)
                if name == "search":
                    page.locator("#search-results .search-result").first.wait_for()
                    page.wait_for_load_state("networkidle")
                    page.locator("#search-input").blur()
                if anchor:
                    page.locator(anchor).first.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top "
                                                        "+ scrollY - 24)")
                page.evaluate(SETTLED)
                target = SCREENSHOTS / f"{name}-{theme}-{size}.png"
                scratch = target.with_suffix(".tmp.png")
                page.screenshot(path=scratch, animations="disabled", caret="hide")
                os.replace(scratch, target)
                written.append(target.name)
                page.close()
    assert len(written) == 24
