/* Draws the charts a page queued in window.covidatCharts (see covidat.book.charts), with the
   page's global vegaEmbed. Loaded deferred, after the Vega bundle, and only on pages with charts.

   A chart drawn wider than its column is narrowed, not scaled down, so its text keeps its size:
   every numeric width in the spec is multiplied by one factor. The drawn width is the fixed part
   (axes, labels, legends) plus the factor times the widths, so two drawings give the factor that
   fits. A chart that cannot fit (a legend wider than a phone) is scaled down by the stylesheet. */
(function () {
  var options = {renderer: "svg", actions: false};

  function narrowed(spec, factor) {
    var copy = JSON.parse(JSON.stringify(spec));
    (function walk(node) {
      if (!node || typeof node !== "object") return;
      if (typeof node.width === "number") node.width = Math.max(40, Math.floor(node.width * factor));
      if (node.view && typeof node.view.continuousWidth === "number")
        node.view.continuousWidth = Math.max(40, Math.floor(node.view.continuousWidth * factor));
      ["spec", "config"].forEach(function (key) { walk(node[key]); });
      ["hconcat", "vconcat", "concat", "layer"].forEach(function (key) { (node[key] || []).forEach(walk); });
    })(copy);
    return copy;
  }

  function drawnWidth(el) {
    var svg = el.querySelector("svg");
    return svg ? parseFloat(svg.getAttribute("width")) || svg.getBoundingClientRect().width : 0;
  }

  async function draw(el, spec) {
    var room = el.clientWidth;
    var view = await vegaEmbed(el, spec, options);
    var first = drawnWidth(el);
    if (!room || first <= room) return;
    var trial = room / first;
    view.finalize();
    view = await vegaEmbed(el, narrowed(spec, trial), options);
    var second = drawnWidth(el);
    if (second <= room) return;
    var slope = (first - second) / (1 - trial), fixed = first - slope;
    if (slope > 0 && room > fixed) {
      view.finalize();
      await vegaEmbed(el, narrowed(spec, 0.99 * (room - fixed) / slope), options);
    }
  }

  window.covidatDraw = function () {
    var queue = window.covidatCharts || [];
    window.covidatCharts = [];
    queue.forEach(function (item) {
      var el = document.getElementById(item[0]);
      if (typeof vegaEmbed === "undefined") {
        el.textContent = "This chart needs the Vega library shipped with the book's website.";
        return;
      }
      draw(el, item[1]).then(function () { el.setAttribute("data-drawn", "true"); }, function (err) {
        el.textContent = "Chart error: " + err.message;
        el.setAttribute("data-drawn", "error");
        console.error(err);
      });
    });
  };
  window.covidatDraw();
})();
