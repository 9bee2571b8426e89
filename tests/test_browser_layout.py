"""Layout in a real browser: narrow screens never scroll sideways, and screenshots of every page type."""

import itertools
import os

from browser_fixtures import (
    DESKTOP,
    HAVE_MATHJAX,
    MATH_POST,
    PHONE,
    look,
    needs_mathjax,
    open_page,
    playwright_or_skip,
    wait_for_math,
)
from browser_support import PROJECT

sync_api = playwright_or_skip()


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
    page.locator("#quire-theme-toggle").tap()
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
    # Code, display math (its div) and inline math each scroll in their own box; the formula in a display box
    # does not scroll a second time. Without MathJax the math stays TeX in its div.
    typeset = {"mjx-container"} if HAVE_MATHJAX else set()
    assert {"pre", "div"} | typeset <= kinds and "mjx-container[display]" not in kinds, layout
    for box in layout["boxes"]:
        assert box["overflow"] in ("auto", "scroll") and box["right"] <= PHONE["width"], box
    assert page.evaluate(CLIPPED) == [], "a math box cuts off the top or bottom of its formula"


def test_captions_centred_under_images_and_tables_with_rules_not_a_grid(builder, live_tmp, new_context):
    builder.file("posts/2024-01-02-look/index.md", "---\ntitle: Look\ndate: 2024-01-02\n---\n"
                 "![A dot](dot.svg)\n*A short caption.*\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    builder.file("posts/2024-01-02-look/dot.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"/>')
    page = open_page(new_context(), live_tmp + "/posts/2024-01-02-look/", math=False)
    image, caption = page.locator("figure img").bounding_box(), page.locator("figcaption").bounding_box()
    text = page.evaluate("""() => { const r = document.createRange();
      r.selectNodeContents(document.querySelector("figcaption")); const b = r.getBoundingClientRect();
      return {x: b.x, width: b.width}; }""")
    assert abs((image["x"] + image["width"] / 2) - (text["x"] + text["width"] / 2)) < 2, (image, text)
    assert abs((caption["x"] + caption["width"] / 2) - (image["x"] + image["width"] / 2)) < 2
    borders = page.evaluate("""() => [...document.querySelectorAll(".post-content th, .post-content td")].map(c => {
      const s = getComputedStyle(c); return [s.borderLeftWidth, s.borderRightWidth, s.borderTopWidth,
                                             s.borderBottomWidth]; })""")
    assert borders == [["0px", "0px", "0px", "2px"]] * 2 + [["0px", "0px", "0px", "1px"]] * 2, borders


CLIPPED = """() => [...document.querySelectorAll(".math.display, mjx-container")]
  .filter(e => getComputedStyle(e).overflowY !== "visible" && e.scrollHeight > e.clientHeight + 1)
  .map(e => e.tagName.toLowerCase() + " " + e.scrollHeight + ">" + e.clientHeight)"""


SCREENSHOTS = PROJECT / "docs" / "screenshots"
VI_POST = "/posts/2024-05-28-variational-inference/"
SHOTS = [  # name, path, element scrolled to the top (or none), widths
    ("home", "/", None, ("desktop", "mobile")),
    ("post", MATH_POST, None, ("desktop", "mobile")),
    ("post-figure", MATH_POST, "#what-a-score-looks-like", ("desktop",)),
    ("post-code-table", VI_POST, ".post-content .code-block", ("desktop",)),
    ("post-citation", "/posts/2024-05-19-policy-gradients/", "section.citation", ("desktop",)),
    ("post-wide", "/posts/2024-05-19-policy-gradients/", "#a-note-on-discounting", ("desktop",)),
    ("post-zoom", "/posts/2024-05-19-policy-gradients/", None, ("desktop",)),
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
def test_screenshots(example, new_context, tmp_path):
    """Take <page>-<theme>-<width>.png (viewport height) of the frozen example site: into tmp_path, or into
    docs/screenshots when QUIRE_SCREENSHOTS=1 (the suite never rewrites tracked files unasked)."""
    folder = SCREENSHOTS if os.environ.get("QUIRE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
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
                if name == "post-zoom":
                    page.locator(".post-content figure img").first.click()
                    page.locator("dialog.zoom img").evaluate("i => i.decode()")
                page.evaluate(SETTLED)
                target = folder / f"{name}-{theme}-{size}.png"
                scratch = target.with_suffix(".tmp.png")
                page.screenshot(path=scratch, animations="disabled", caret="hide")
                os.replace(scratch, target)
                written.append(target.name)
                page.close()
    assert len(written) == 30
    assert all((folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in written)
    assert list(folder.glob("*.tmp.png")) == []
