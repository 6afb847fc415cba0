/* Marks every table box that scrolls sideways (class covidat-scrolls), so the stylesheet shows a
   cue above it; checked again when the window changes size. Loaded deferred, on every page. */
(function () {
  function mark() {
    document.querySelectorAll(".covidat-table, .pst-scrollable-table-container").forEach(function (box) {
      box.classList.toggle("covidat-scrolls", box.scrollWidth > box.clientWidth + 1);
    });
  }
  mark();
  window.addEventListener("resize", mark);
})();
