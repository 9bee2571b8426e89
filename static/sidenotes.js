// Quire: footnotes as sidenotes in the right margin of wide screens, each beside its reference, none overlapping.
// Narrower screens, readers without JavaScript and feeds keep the footnotes at the bottom.
(function () {
  "use strict";
  var content = document.querySelector(".post-content");
  var wide = window.matchMedia("(min-width: 1280px)");
  if (!content) return;
  var notes = [];
  content.querySelectorAll('sup.footnote-ref > a[href^="#fn-"]').forEach(function (ref) {
    var item = document.getElementById(decodeURIComponent(ref.hash.slice(1)));
    if (!item) return;
    var note = document.createElement("div");
    note.className = "sidenote";
    note.setAttribute("role", "note");
    note.id = "side" + item.id;
    note.tabIndex = -1;
    var number = document.createElement("span");
    number.className = "sidenote-number";
    number.textContent = ref.textContent;
    note.appendChild(number);
    [].forEach.call(item.childNodes, function (node) { note.appendChild(node.cloneNode(true)); });
    note.querySelectorAll("a.footnote, [id]").forEach(function (el) {
      if (el.matches("a.footnote")) el.remove(); else el.removeAttribute("id");
    });
    note.setAttribute("aria-label", "Note " + ref.textContent);
    content.appendChild(note);
    notes.push({ ref: ref, note: note });
    ref.addEventListener("click", function (event) {
      if (!wide.matches) return;
      event.preventDefault();
      note.focus({ preventScroll: true });
      note.classList.remove("flash");
      void note.offsetWidth;  // restart the highlight
      note.classList.add("flash");
    });
  });
  if (!notes.length) return;

  function layout() {
    var on = wide.matches;
    content.classList.toggle("with-sidenotes", on);
    if (!on) return;
    var base = content.getBoundingClientRect().top, last = -Infinity;
    notes.forEach(function (n) {
      var top = Math.max(n.ref.getBoundingClientRect().top - base, last + 12);
      n.note.style.top = top + "px";
      last = top + n.note.offsetHeight;
    });
  }
  wide.addEventListener("change", layout);
  // Heights change as images load and math is typeset: place the notes again whenever the text reflows.
  if (window.ResizeObserver) new ResizeObserver(layout).observe(content);
  window.addEventListener("load", layout);
  layout();
})();
