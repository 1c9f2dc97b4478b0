/* Draws the report charts. Each <canvas data-chart="ID"> reads its numbers from the JSON of
 * <script id="ID" type="application/json"> (Django's json_script), the same numbers as the
 * table beside it. Buttons with data-print print the page. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;

  var english = document.documentElement.lang === "en";
  var locale = english ? "en-GB" : "vi-VN";
  var full = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  var short = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  // Amounts in đồng on an axis, the way officers say them: "2,5 tỷ", "500 triệu".
  // (Intl's compact notation writes "2,5 T" and "500 Tr", which nobody reads as money.)
  var moneyUnits = english
    ? [[1e9, " bn"], [1e6, " m"], [1e3, " k"]]
    : [[1e9, " tỷ"], [1e6, " triệu"], [1e3, " nghìn"]];
  function money(v) {
    for (var i = 0; i < moneyUnits.length; i++) {
      if (Math.abs(v) >= moneyUnits[i][0]) return short.format(v / moneyUnits[i][0]) + moneyUnits[i][1];
    }
    return full.format(v);
  }
  var palette = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997", "#6c757d",
                 "#ffc107", "#0dcaf0", "#d63384", "#6610f2", "#adb5bd"];
  var charts = [];

  // Long category names (activity types, sectors) on a horizontal chart: break into lines.
  function wrap(label, width) {
    if (label.length <= width) return label;
    var lines = [], line = "";
    label.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) lines.push(line);
    return lines;
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    var round = spec.type === "doughnut";
    var secondary = spec.secondary || [];
    var datasets = spec.datasets.map(function (d, i) {
      var colour = palette[i % palette.length];
      var dataset = {
        label: d.label,
        data: d.data,
        backgroundColor: round ? palette : colour,
        borderColor: round ? "#fff" : colour,
        fill: false,
        tension: 0.2
      };
      if (secondary.indexOf(i) >= 0) dataset.yAxisID = "y2";
      return dataset;
    });
    var valueAxis = {
      beginAtZero: true,
      stacked: spec.stacked,
      ticks: { precision: 0, callback: function (v) { return spec.money ? money(v) : full.format(v); } }
    };
    // Chart.js gives the names at most half the chart's width and cuts what is wider: on a
    // phone (a 330 px chart) lines of 32 characters (about 190 px at 12 px) would be cut, so
    // the line length follows the width, at about 6.5 px a character.
    var perLine = Math.max(12, Math.min(32, Math.floor((canvas.parentElement.clientWidth / 2 - 20) / 6.5)));
    var labels = spec.horizontal ? spec.labels.map(function (l) { return wrap(l, perLine); })
                                 : spec.labels;
    if (spec.horizontal) {
      // Room for every bar and every line of its wrapped name (a 12 px label line needs about
      // 16 px, and names of neighbouring rows need a gap between them).
      var lines = labels.reduce(function (n, l) {
        return n + Math.max(Array.isArray(l) ? l.length : 1, spec.stacked ? 1 : datasets.length);
      }, 0);
      canvas.parentElement.style.height = Math.max(320, lines * 17 + labels.length * 8 + 90) + "px";
    }
    var categoryAxis = { stacked: spec.stacked, ticks: { autoSkip: false } };
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      locale: locale,
      animation: false,
      indexAxis: spec.horizontal ? "y" : "x",
      plugins: {
        legend: { position: "bottom" },
        tooltip: {
          callbacks: {
            label: function (ctx) {
              var v = round ? ctx.parsed : (spec.horizontal ? ctx.parsed.x : ctx.parsed.y);
              return (round ? ctx.label : ctx.dataset.label) + ": " + full.format(v) +
                (spec.money ? " ₫" : "");
            }
          }
        }
      }
    };
    if (!round) {
      options.scales = spec.horizontal ? { x: valueAxis, y: categoryAxis }
                                       : { x: categoryAxis, y: valueAxis };
      if (secondary.length && !spec.horizontal) {
        // Each axis is titled with what it measures, so neither scale is misread.
        var left = datasets.filter(function (d) { return !d.yAxisID; });
        var right = datasets.filter(function (d) { return d.yAxisID; });
        var title = function (list) {
          return { display: true, text: list.map(function (d) { return d.label; }).join(", ") };
        };
        valueAxis.title = title(left.slice(0, 1));
        options.scales.y2 = {
          position: "right",
          beginAtZero: true,
          grid: { drawOnChartArea: false },
          title: title(right),
          ticks: { precision: 0, callback: function (v) { return full.format(v); } }
        };
      }
    }
    charts.push(new Chart(canvas, { type: spec.type, data: { labels: labels, datasets: datasets },
                                    options: options }));
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // Redraw at the paper's width before printing, and back after.
  window.addEventListener("beforeprint", function () {
    charts.forEach(function (c) { c.resize(); });
  });
  window.addEventListener("afterprint", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
