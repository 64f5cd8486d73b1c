// BRCD charts: fetch each chart's Vega-Lite spec (data inlined) from /-/charts/<name>.json and
// draw it as SVG with the bundled Vega, Vega-Lite and vega-embed. Expressions are evaluated by
// vega-interpreter (ast: true), so no code is generated at run time and the site's
// Content-Security-Policy needs no 'unsafe-eval'.
document.addEventListener("DOMContentLoaded", function () {
  var charts = document.querySelectorAll(".brcd-chart[data-src]");
  Array.prototype.forEach.call(charts, function (el) {
    fetch(el.getAttribute("data-src"), {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (payload) {
        var values = (payload.spec.data && payload.spec.data.values) || [];
        el.setAttribute("data-points", String(values.length));
        if (!values.length) {
          el.textContent = "No figures to draw yet.";
          el.classList.add("brcd-chart-empty");
          return null;
        }
        return vegaEmbed(el, payload.spec, {
          renderer: "svg", actions: false, ast: true,
          expr: window.vegaInterpreter.expressionInterpreter
        });
      })
      .then(function () { el.setAttribute("data-drawn", "1"); })
      .catch(function (err) {
        el.textContent = "The chart could not be drawn: " + err.message;
        el.setAttribute("data-error", err.message);
      });
  });
});
