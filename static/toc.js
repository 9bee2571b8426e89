// Quire: the side table of contents marks the section in view (wide screens only; without it, a plain list).
(function () {
  "use strict";
  var nav = document.querySelector(".toc-side nav");
  var wide = window.matchMedia("(min-width: 1280px)");
  if (!nav) return;
  var links = [].slice.call(nav.querySelectorAll('a[href^="#"]'));
  var targets = links.map(function (link) { return document.getElementById(decodeURIComponent(link.hash.slice(1))); });
  var current = null, queued = false;

  function keepInView(link) {
    var box = nav.getBoundingClientRect(), spot = link.getBoundingClientRect();
    if (spot.top < box.top) nav.scrollTop -= box.top - spot.top + 8;
    else if (spot.bottom > box.bottom) nav.scrollTop += spot.bottom - box.bottom + 8;
  }

  function update() {
    queued = false;
    if (!wide.matches) return;
    var line = window.innerHeight * 0.25, active = null;
    for (var i = 0; i < targets.length; i++) {
      if (targets[i] && targets[i].getBoundingClientRect().top <= line) active = links[i];
      else if (targets[i]) break;
    }
    if (active === current) return;
    if (current) current.removeAttribute("aria-current");
    if (active) {
      active.setAttribute("aria-current", "location");
      keepInView(active);
    }
    current = active;
  }

  function queue() {
    if (!queued) { queued = true; window.requestAnimationFrame(update); }
  }
  window.addEventListener("scroll", queue, { passive: true });
  window.addEventListener("resize", queue, { passive: true });
  update();
})();
