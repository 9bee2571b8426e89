"""References in a real browser: an equation reference scrolls to its equation, a figure reference to its figure,
and MathJax's numbers replace the labels; the citation block has its copy button."""

from browser_fixtures import needs_mathjax, open_page, playwright_or_skip
from browser_support import Watch

playwright_or_skip()

POST = "/posts/2024-05-19-policy-gradients/"
IN_VIEW = """(id) => {
  const top = document.getElementById(id).getBoundingClientRect().top;
  return location.hash === "#" + id && top >= -2 && top < innerHeight / 2;
}"""


@needs_mathjax
def test_an_equation_reference_scrolls_to_its_equation(base, new_context):
    page = open_page(new_context(), base + POST)
    watch = Watch(page)
    link = page.locator('a.eqref[href="#eq-trajectory"]')
    page.wait_for_function("document.querySelector('a.eqref[href=\"#eq-trajectory\"]').textContent === '(1)'")
    assert page.locator('a.eqref[href="#eq-objective"]').inner_text() == "(2)"
    link.click()
    page.wait_for_function(IN_VIEW, arg="eq-trajectory")
    # MathJax numbered the labelled equation itself, and the number it shows is the one the link shows.
    assert "(1)" in page.locator("#eq-trajectory").inner_text()
    assert watch.console == [] and watch.failed == []


def test_a_figure_reference_scrolls_to_its_figure(base, new_context):
    page = open_page(new_context(), base + POST, math=False)
    link = page.locator('a.xref[href="#fig-baseline-variance"]')
    assert link.inner_text() == "Fig. 2"
    assert page.locator("#fig-baseline-variance figcaption .figure-number").inner_text() == "Fig. 2."
    link.click()
    page.wait_for_function(IN_VIEW, arg="fig-baseline-variance")


def test_the_citation_block_can_be_copied(base, new_context):
    page = open_page(new_context(permissions=["clipboard-read", "clipboard-write"]), base + POST, math=False)
    block = page.locator("section.citation")
    block.locator("button.copy-code").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("@article{author2024policy,\n  title   = \"A Gentle Tour of Policy Gradients\",")
    assert copied.endswith('  url     = "https://lillog.example.com/posts/2024-05-19-policy-gradients/"\n}')
    assert block.locator(".cite-line").inner_text().startswith("Author, Quire Example. (May 2024). “A Gentle Tour")
    assert block.locator("button.copy-code").count() == 1
    # It sits before the References heading.
    assert page.evaluate("""() => {
      const cite = document.querySelector("section.citation"), refs = document.getElementById("references");
      return Boolean(cite.compareDocumentPosition(refs) & Node.DOCUMENT_POSITION_FOLLOWING);
    }""")
