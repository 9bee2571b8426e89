// Quire: a post's figures open full size in an overlay (click, Enter or Space); arrow keys move between them,
// Esc, a click or the close button close it and give focus back. Without JavaScript, figures are plain images.
(function () {
  "use strict";
  var images = [].slice.call(document.querySelectorAll(".post-content figure img"));
  if (!images.length || !window.HTMLDialogElement) return;
  var dialog = document.createElement("dialog");
  dialog.className = "zoom";
  dialog.innerHTML = '<button type="button" class="zoom-close" aria-label="Close the figure">&times;</button>' +
    '<img alt=""><p class="zoom-caption"></p>';
  document.body.appendChild(dialog);
  var big = dialog.querySelector("img"), caption = dialog.querySelector(".zoom-caption");
  var close = dialog.querySelector(".zoom-close"), index = 0, opener = null;

  function show(i) {
    index = (i + images.length) % images.length;
    var image = images[index], figcaption = image.closest("figure").querySelector("figcaption");
    big.src = image.currentSrc || image.src;
    big.alt = image.alt;
    caption.textContent = figcaption ? figcaption.textContent : "";
    dialog.setAttribute("aria-label", "Figure " + (index + 1) + " of " + images.length + (image.alt ? ": " + image.alt : ""));
  }

  images.forEach(function (image, i) {
    image.classList.add("zoomable");
    image.tabIndex = 0;
    image.setAttribute("role", "button");
    image.setAttribute("aria-label", "Enlarge the figure" + (image.alt ? ": " + image.alt : ""));
    var open = function () {
      opener = image;
      show(i);
      dialog.showModal();
      close.focus();
    };
    image.addEventListener("click", open);
    image.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); open(); }
    });
  });
  dialog.addEventListener("click", function (event) { if (event.target !== big) dialog.close(); });
  dialog.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      event.preventDefault();
      show(index + (event.key === "ArrowRight" ? 1 : -1));
      opener = images[index];
    }
  });
  dialog.addEventListener("close", function () { if (opener) opener.focus(); });
})();
