/* Draws each <canvas data-chart="ID"> from the JSON in <script id="ID" type="application/json">.
   The same numbers are in a table beside every chart, so the page reads fine without this. */
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
      new window.Chart(canvas, {
        type: kind,
        data: {
          labels: data.labels,
          datasets: data.series.map(function (series, i) {
            return {
              label: series.label,
              data: series.data,
              borderColor: colours[i % colours.length],
              backgroundColor: kind === "bar" ? colours.slice(0, series.data.length) : colours[i % colours.length],
              spanGaps: true,
              tension: 0.2
            };
          })
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          plugins: { legend: { display: kind !== "bar" } },
          scales: { y: { suggestedMin: 0, suggestedMax: 100 } }
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
