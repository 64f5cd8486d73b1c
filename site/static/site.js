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
