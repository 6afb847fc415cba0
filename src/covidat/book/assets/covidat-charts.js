/* Draws the charts a page queued in window.covidatCharts (see covidat.book.charts), with the
   page's global vegaEmbed. Loaded deferred, after the Vega bundle, and only on pages with charts.

   A chart drawn wider than its column is narrowed, not scaled down, so its text keeps its size:
   every numeric width in the spec is multiplied by one factor. If that is not enough, in turn:
   long horizontal titles go on several lines; panels side by side are stacked; axis and legend
   labels are shortened. A chart that still cannot fit is scaled down by the stylesheet, and the
   browser tests report its small text. When its column's width changes (a phone turned, a window
   resized), a chart is drawn again for the new width; `data-room` holds the width it was drawn for. */
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

  // Horizontal titles (axes, legends) longer than the column allows are set on several lines.
  function wrapTitles(spec, chars) {
    function wrapped(text) {
      if (typeof text !== "string" || text.length <= chars) return text;
      var lines = [], line = "";
      text.split(" ").forEach(function (word) {
        if (line && (line + " " + word).length > chars) { lines.push(line); line = word; }
        else line = line ? line + " " + word : word;
      });
      return lines.concat([line]);
    }
    var copy = JSON.parse(JSON.stringify(spec));
    (function walk(node) {
      if (!node || typeof node !== "object") return;
      Object.keys(node.encoding || {}).forEach(function (channel) {
        var def = node.encoding[channel];
        if (!def || /^(y|y2|row)$/.test(channel)) return;
        if (def.title) def.title = wrapped(def.title);
        if (def.axis && def.axis.title) def.axis.title = wrapped(def.axis.title);
        if (def.legend && def.legend.title) def.legend.title = wrapped(def.legend.title);
      });
      walk(node.spec);
      ["hconcat", "vconcat", "concat", "layer"].forEach(function (key) { (node[key] || []).forEach(walk); });
    })(copy);
    return copy;
  }

  function drawnWidth(el) {
    var svg = el.querySelector("svg");
    return svg ? parseFloat(svg.getAttribute("width")) || svg.getBoundingClientRect().width : 0;
  }

  // On a narrow screen, panels side by side go one under the other, and so do legend entries;
  // panel headers start at the panel's left edge.
  function stacked(spec) {
    var copy = JSON.parse(JSON.stringify(spec));
    copy.config = copy.config || {};
    copy.config.legend = Object.assign({}, copy.config.legend, {direction: "vertical", columns: 1});
    copy.config.header = Object.assign({}, copy.config.header, {labelAnchor: "start"});
    (function walk(node) {
      if (!node || typeof node !== "object") return;
      if (node.columns > 1) node.columns = 1;
      if (node.hconcat) { node.vconcat = node.hconcat; delete node.hconcat; }
      [node.encoding, node.facet].forEach(function (facet) {
        if (facet && facet.column && !facet.row) { facet.row = facet.column; delete facet.column; }
      });
      walk(node.spec);
      ["vconcat", "concat", "layer"].forEach(function (key) { (node[key] || []).forEach(walk); });
    })(copy);
    return copy;
  }

  // The last resort: axis and legend labels shortened (with an ellipsis; the tooltip keeps them whole).
  function shortened(spec, room) {
    var copy = JSON.parse(JSON.stringify(spec)), limit = Math.floor(room * 0.35);
    copy.config = copy.config || {};
    copy.config.axis = Object.assign({}, copy.config.axis, {labelLimit: limit});
    copy.config.legend = Object.assign({}, copy.config.legend, {labelLimit: room - 150});
    copy.config.header = Object.assign({}, copy.config.header, {labelLimit: room - 100});
    (function walk(node) {
      if (!node || typeof node !== "object") return;
      Object.keys(node.encoding || {}).forEach(function (channel) {
        var def = node.encoding[channel];
        if (def && def.axis && def.axis.labelLimit > limit) def.axis.labelLimit = limit;
        if (def && def.legend && def.legend.labelLimit > room - 150) def.legend.labelLimit = room - 150;
      });
      walk(node.spec);
      ["hconcat", "vconcat", "concat", "layer"].forEach(function (key) { (node[key] || []).forEach(walk); });
    })(copy);
    return copy;
  }

  async function draw(el, spec) {
    var room = el.clientWidth, result = null;
    async function render(s) {
      if (result) result.finalize();
      result = await vegaEmbed(el, s, options);
      return drawnWidth(el);
    }
    // Narrow `s` until it fits, by secant steps on the factor (the drawn width is about a fixed part,
    // for axes, labels and legends, plus the factor times the widths); false if panels would get
    // too small for that.
    async function fits(s) {
      var width = await render(s);
      if (!room || width <= room) return true;
      var factor = 1, next = room / width;
      for (var step = 0; step < 4 && next >= 0.3; step++) {
        var drawn = await render(narrowed(s, next));
        if (drawn <= room) return true;
        var slope = (width - drawn) / (factor - next);
        factor = next; width = drawn;
        next = slope > 0 ? factor - 1.01 * (width - room) / slope : 0.8 * factor;
      }
      return false;
    }
    if (await fits(spec)) return;
    spec = wrapTitles(spec, Math.floor((room - 90) / 7));  // room for the y axis beside a title
    if (await fits(spec)) return;
    spec = stacked(spec);
    if (await fits(spec)) return;
    await fits(shortened(spec, room));
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
      var room = el.clientWidth;
      draw(el, item[1]).then(function () {
        el.setAttribute("data-drawn", "true");
        el.setAttribute("data-room", room);
        el.covidatSpec = item[1];
        el.covidatDone = Promise.resolve();
        resized.observe(el);
      }, function (err) {
        el.textContent = "Chart error: " + err.message;
        el.setAttribute("data-drawn", "error");
        console.error(err);
      });
    });
  };
  // Each chart is drawn again when its column's width changes, after the width has been still for
  // 200 ms, one drawing at a time (each waits for the last), for the width at that moment.
  var resized = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      var chart = entry.target;
      clearTimeout(chart.covidatPending);
      chart.covidatPending = setTimeout(function () {
        chart.covidatDone = chart.covidatDone.then(function () {
          var room = chart.clientWidth;
          if (!room || room === +chart.getAttribute("data-room")) return;
          return draw(chart, chart.covidatSpec).then(function () { chart.setAttribute("data-room", room); });
        }).catch(console.error);
      }, 200);
    });
  });
  window.covidatDraw();
})();
