// BRCD site: fold the long list of column descriptions on table pages into a <details> element,
// so the table, facets and map come first. Without JavaScript the list stays open.
document.addEventListener("DOMContentLoaded", function () {
  var dl = document.querySelector("dl.column-descriptions");
  if (!dl) { return; }
  var details = document.createElement("details");
  details.className = "brcd-columns";
  var summary = document.createElement("summary");
  summary.textContent = "What each column means (" + dl.querySelectorAll("dt").length + " columns)";
  dl.parentNode.insertBefore(details, dl);
  details.appendChild(summary);
  details.appendChild(dl);
});

// Datasette's filter form has no labels on its column, operator and value boxes: name them for
// screen readers (the visible "column" / "=" placeholders are not labels).
document.addEventListener("DOMContentLoaded", function () {
  var names = {"_filter_column": "Column to filter on", "_filter_op": "How to compare",
               "_filter_value": "Value to compare with"};
  document.querySelectorAll("form.filters select, form.filters input").forEach(function (el) {
    var base = (el.getAttribute("name") || "").replace(/_\d+$/, "");
    if (names[base] && !el.getAttribute("aria-label")) { el.setAttribute("aria-label", names[base]); }
  });
});
