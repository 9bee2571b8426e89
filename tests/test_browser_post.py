"""A post in a real browser: table of contents, heading anchors, copy buttons, scroll-to-top, math, images
and weight."""

import gzip
import re
from html.parser import HTMLParser

from browser_fixtures import (
    DESKTOP,
    HAVE_MATHJAX,
    MATH_POST,
    MATH_POST_SOURCE,
    kb,
    needs_mathjax,
    open_page,
    playwright_or_skip,
)
from browser_support import MATHJAX_CDN, Watch

sync_api = playwright_or_skip()


HEADING_AT_TOP = """(id) => {
  const el = document.getElementById(id), top = el.getBoundingClientRect().top;
  const bottom = Math.ceil(scrollY + innerHeight) >= document.documentElement.scrollHeight - 1;
  const atTop = Math.abs(top - parseFloat(getComputedStyle(el).scrollMarginTop)) < 3;
  return location.hash === "#" + id && document.querySelector(":target") === el
    && (atTop || (bottom && top >= 0 && top < innerHeight));
}"""


def test_toc_and_heading_anchors(base, new_context):
    # Jumps without smooth scrolling; below 1280 px, where the table of contents is the collapsible one.
    page = open_page(new_context(reduced_motion="reduce", viewport={"width": 1200, "height": 800}), base + MATH_POST)
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


def code_fences(markdown: str) -> list[str]:
    """Return the text of each fenced code block of a Markdown source, as CommonMark defines it."""
    return [m.group(3) for m in re.finditer(r"^(`{3,}|~{3,})([^\n]*)\n(.*?)^\1[ \t]*$", markdown,
                                                re.DOTALL | re.MULTILINE)]


def copied_texts(page, blocks: str = ".post-content .code-block:not(.citation .code-block)") -> list[str]:
    """Click each copy button of the blocks (the post's own code, not its citation) and return the texts."""
    buttons = page.locator(f"{blocks} .copy-code")
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
    button = page.locator("#quire-to-top")
    assert not button.is_visible()
    page.evaluate("window.scrollTo({top: 3000, behavior: 'instant'})")
    sync_api.expect(button).to_be_visible()
    sync_api.expect(button).to_have_class(re.compile(r"\bvisible\b"))
    box = button.bounding_box()
    assert box["x"] + box["width"] <= DESKTOP["width"] and box["y"] + box["height"] <= DESKTOP["height"]
    button.click()
    page.wait_for_function("window.scrollY === 0")
    sync_api.expect(button).to_be_hidden()


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
    sized = page.evaluate("""() => [...document.querySelectorAll('.post-content img')].map(i => [i.loading,
        i.getAttribute('width'),
        i.getAttribute('height'), i.getBoundingClientRect().height > 0])""")
    assert sized and all(s[0] == "lazy" and s[1] and s[2] and s[3] for s in sized), sized


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
