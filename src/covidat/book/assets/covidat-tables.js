/* Fits tables to their column. A table wider than its box is first set compact (smaller type and
   padding); a table still too wide is marked as scrolling (covidat-scrolls), so the stylesheet shows
   a cue above it and keeps its first column in view. Checked again when the window changes size.
   Loaded deferred, on every page. */
(function () {
  var BOXES = ".covidat-table, .pst-scrollable-table-container";

  function tooWide(box) { return box.scrollWidth > box.clientWidth; }

  function fit() {
    document.querySelectorAll(BOXES).forEach(function (box) {
      box.classList.remove("covidat-compact", "covidat-scrolls");
      if (tooWide(box)) box.classList.add("covidat-compact");
      if (tooWide(box)) box.classList.add("covidat-scrolls");
    });
  }
  fit();
  window.addEventListener("resize", fit);
})();
