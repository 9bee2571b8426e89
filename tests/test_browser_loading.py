"""What every page type loads, in a real browser: no console errors or failed requests, no blocking scripts,
system fonts."""

import re

from browser_fixtures import MATH_POST, needs_mathjax, playwright_or_skip, wait_for_math
from browser_support import Watch

playwright_or_skip()


PAGE_TYPES = {
    "home": "/", "post": MATH_POST, "page": "/faq/", "tags": "/tags/", "tag": "/tags/probability/",
    "archives": "/archives/", "search": "/search/?q=gradient", "404": "/no-such-page/",
}


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
