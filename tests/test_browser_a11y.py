"""Accessibility in a real browser: axe-core, the contrast of code and text, and the keyboard."""

import pytest
from browser_fixtures import MATH_POST, needs_axe, open_page, playwright_or_skip
from browser_support import AXE_JS

playwright_or_skip()


# The policy-gradient post has it all: side TOC, sidenotes, zoomable figures, a callout, code options, a citation.
AXE_PAGES = {"home": "/", "post": MATH_POST, "post-all-features": "/posts/2024-05-19-policy-gradients/",
             "tags": "/tags/", "archives": "/archives/", "search": "/search/?q=gradient"}


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
                         "Search", "Tags", "FAQ", "emojisearch.app\u2197 (opens in a new tab)"], names[:9]
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
