/* Draws each <canvas data-chart="ID"> from the JSON in <script id="ID" type="application/json">.
   The same numbers are in a table beside every chart, so the page reads fine without this.
   Optional in the JSON: "scale" {min, max} (the measure's scale), "stacked" (stacked bars), and
   per series "dashed" (a benchmark line) and "colour". */
(function () {
  "use strict";
  var colours = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1"];
  function draw() {
    if (typeof window.Chart === "undefined") { return; }
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-chart"));
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      var kind = data.kind || "line";
      var y = { suggestedMin: 0, suggestedMax: 100 };
      if (data.scale) { y = { min: data.scale.min, max: data.scale.max }; }
      if (data.stacked) { y.stacked = true; }
      new window.Chart(canvas, {
        type: kind,
        data: {
          labels: data.labels,
          datasets: data.series.map(function (series, i) {
            var colour = series.colour || colours[i % colours.length];
            var dataset = {
              label: series.label,
              data: series.data,
              borderColor: colour,
              backgroundColor: kind === "bar" && !data.stacked ? colours.slice(0, series.data.length) : colour,
              spanGaps: true,
              tension: 0.2
            };
            if (series.dashed) {
              dataset.borderDash = [6, 4];
              dataset.pointRadius = 0;
              dataset.borderWidth = 2;
            }
            return dataset;
          })
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          plugins: { legend: { display: kind !== "bar" || !!data.stacked } },
          scales: { x: { stacked: !!data.stacked }, y: y }
        }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
