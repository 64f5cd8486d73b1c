// BRCD map: Leaflet (bundled by datasette-leaflet) with the site's own basemap tiles, scaled
// beyond their native zoom so the map zooms to district scale.
//
// On a table page it loads the rows of the current view (the same filters) as JSON and draws
// each row with a point of its own as a marker; rows placed only by district are counted at
// their district's representative point as hollow circles marked "approximate"; a note says how
// many rows have no point at all. On a record page it draws the record's one point.
//
// Popups are built from text nodes (never HTML) and their one link is a path on this site.
// A module: datasette-leaflet bundles Leaflet as an ES module, imported from the URL the page
// gives in the map's settings.
var MAX_ROWS = 2000;
var L = null;

function el(tag, text, cls) {
  var node = document.createElement(tag);
  if (text !== undefined && text !== null) { node.textContent = String(text); }
  if (cls) { node.className = cls; }
  return node;
}

function sitePath(base, id) {
  // A relative link on this site only: Datasette's tilde encoding of the id.
  var enc = encodeURIComponent(String(id)).replace(/[!'()*~%]/g, function (c) {
    if (c === "%") { return "~"; }
    return "~" + c.charCodeAt(0).toString(16).toUpperCase();
  });
  var path = base + "/" + enc;
  return /^\/[^\/\\]/.test(path) ? path : null;
}

function popup(cfg, row, approximate) {
  var box = el("div", null, "brcd-popup");
  var title = row[cfg.label] || row[cfg.pk];
  var href = sitePath(cfg.row_base, row[cfg.pk]);
  var h = el("strong");
  if (href) { var a = el("a", title); a.setAttribute("href", href); h.appendChild(a); } else { h.textContent = title; }
  box.appendChild(h);
  if (cfg.date && row[cfg.date]) { box.appendChild(el("div", row[cfg.date])); }
  if (cfg.deaths) {
    var d = row[cfg.deaths];
    box.appendChild(el("div", "Deaths (best estimate): " + (d === null || d === undefined || d === "" ? "unknown" : d)));
  }
  if (approximate) { box.appendChild(el("div", "Approximate: shown at its district's representative point", "brcd-muted")); }
  return box;
}

function groupPopup(cfg, rows, districtName) {
  var box = el("div", null, "brcd-popup");
  box.appendChild(el("strong", rows.length + " row" + (rows.length === 1 ? "" : "s") + " in " + districtName));
  box.appendChild(el("div", "Approximate: placed by district only", "brcd-muted"));
  var list = el("ul");
  rows.slice(0, 8).forEach(function (row) {
    var li = el("li");
    var href = sitePath(cfg.row_base, row[cfg.pk]);
    var text = (cfg.date && row[cfg.date] ? row[cfg.date] + " · " : "") + (row[cfg.label] || row[cfg.pk]);
    if (href) { var a = el("a", text); a.setAttribute("href", href); li.appendChild(a); } else { li.textContent = text; }
    if (cfg.deaths) {
      var d = row[cfg.deaths];
      li.appendChild(document.createTextNode(" (deaths: " + (d === null || d === undefined || d === "" ? "unknown" : d) + ")"));
    }
    list.appendChild(li);
  });
  box.appendChild(list);
  if (rows.length > 8) { box.appendChild(el("div", "and " + (rows.length - 8) + " more in the table")); }
  return box;
}

function baseMap(node, cfg) {
  var tiles = cfg.tiles || {};
  var map = L.map(node, {scrollWheelZoom: false, maxZoom: tiles.maxZoom || 11});
  L.tileLayer(tiles.url, {
    maxNativeZoom: tiles.maxNativeZoom || 6, maxZoom: tiles.maxZoom || 11,
    attribution: tiles.attribution || ""
  }).addTo(map);
  node.brcdLeafletMap = map;  // for the browser tests: its zoom and layers
  return map;
}

function fetchJSON(url) {
  return fetch(url, {credentials: "same-origin"}).then(function (r) {
    if (!r.ok) { throw new Error("HTTP " + r.status); }
    return r.json();
  });
}

function rowsUrl(cfg) {
  var params = new URLSearchParams(window.location.search);
  ["_col", "_nocol", "_fields", "_next", "_size", "_shape", "_labels", "_facet", "_facet_year", "_facet_size"].forEach(function (k) {
    params.delete(k);
  });
  // The primary key always comes with the rows (Datasette refuses it in _col).
  [cfg.label, cfg.date, cfg.deaths, cfg.district, cfg.point ? "latitude" : null,
   cfg.point ? "longitude" : null].forEach(function (c) { if (c && c !== cfg.pk) { params.append("_col", c); } });
  params.set("_size", "max");
  return cfg.rows_url + "?" + params.toString();
}

function loadRows(cfg) {
  var rows = [], total = null;
  function page(url) {
    return fetchJSON(url).then(function (data) {
      var cols = data.columns;
      (data.rows || []).forEach(function (r) {
        var obj = {};
        cols.forEach(function (c, i) { obj[c] = Array.isArray(r) ? r[i] : r[c]; });
        rows.push(obj);
      });
      if (total === null) { total = data.filtered_table_rows_count; }
      if (data.next_url && rows.length < MAX_ROWS) { return page(data.next_url); }
      return {rows: rows, total: total};
    });
  }
  return page(rowsUrl(cfg));
}

function loadDistricts(cfg) {
  if (!cfg.district || !cfg.districts_url) { return Promise.resolve({}); }
  return fetchJSON(cfg.districts_url + "?_shape=array&_size=max&_col=name&_col=latitude&_col=longitude")
    .then(function (rows) {
      var out = {};
      rows.forEach(function (d) { out[d.district_id] = d; });
      return out;
    });
}

function plural(n, word) { return n.toLocaleString("en") + " " + word + (n === 1 ? "" : "s"); }

function drawTable(node, cfg) {
  var note = document.getElementById("brcd-map-note");
  Promise.all([loadRows(cfg), loadDistricts(cfg)]).then(function (res) {
    var rows = res[0].rows, total = res[0].total, districts = res[1];
    var map = baseMap(node, cfg);
    var bounds = [], exact = 0, approx = 0, none = 0, byDistrict = {};
    rows.forEach(function (row) {
      var lat = cfg.point ? row.latitude : null, lon = cfg.point ? row.longitude : null;
      if (typeof lat === "number" && typeof lon === "number") {
        L.marker([lat, lon], {title: String(row[cfg.label] || row[cfg.pk]), alt: String(row[cfg.label] || row[cfg.pk])})
          .bindPopup(popup(cfg, row, false)).addTo(map);
        bounds.push([lat, lon]);
        exact += 1;
        return;
      }
      var d = cfg.district ? districts[row[cfg.district]] : null;
      if (d && typeof d.latitude === "number" && typeof d.longitude === "number") {
        (byDistrict[row[cfg.district]] = byDistrict[row[cfg.district]] || []).push(row);
        approx += 1;
      } else {
        none += 1;
      }
    });
    Object.keys(byDistrict).forEach(function (id) {
      var d = districts[id], group = byDistrict[id];
      L.circleMarker([d.latitude, d.longitude], {radius: 6 + Math.min(14, Math.sqrt(group.length) * 2),
        className: "brcd-approx", color: "#b3541e", weight: 2, fillOpacity: 0.1, dashArray: "3 3"})
        .bindPopup(group.length === 1 ? popup(cfg, group[0], true) : groupPopup(cfg, group, d.name))
        .addTo(map);
      bounds.push([d.latitude, d.longitude]);
    });
    if (bounds.length) { map.fitBounds(bounds, {padding: [20, 20], maxZoom: 8}); } else { map.setView([28.9, 65.5], 5); }
    var parts = [];
    var loaded = rows.length;
    if (total !== null && total !== undefined && total > loaded) {
      parts.push("The map shows the first " + loaded.toLocaleString("en") + " of " + total.toLocaleString("en") + " rows.");
    }
    parts.push(plural(exact, "row") + " with a point of " + (exact === 1 ? "its" : "their") + " own (markers).");
    if (cfg.district) {
      parts.push(plural(approx, "row") + " placed by district only, at the district's representative point (dashed circles, approximate).");
    }
    parts.push(plural(none, "row") + " without a point: not on the map.");
    note.textContent = parts.join(" ");
    node.setAttribute("data-rows", String(loaded));
    node.setAttribute("data-without-point", String(none + approx));
    node.setAttribute("data-ready", "1");
  }).catch(function (err) {
    note.textContent = "The map could not load its rows: " + err.message;
  });
}

function drawRecord(node, cfg) {
  var rec = cfg.record, map = baseMap(node, cfg);
  if (rec.approximate) {
    L.circleMarker([rec.lat, rec.lon], {radius: 12, className: "brcd-approx", color: "#b3541e", weight: 2,
      fillOpacity: 0.1, dashArray: "3 3"}).addTo(map);
  } else {
    L.marker([rec.lat, rec.lon], {title: String(rec.title), alt: String(rec.title)}).addTo(map);
  }
  map.setView([rec.lat, rec.lon], rec.approximate ? 7 : 9);
  node.setAttribute("data-ready", "1");
}

var node = document.getElementById("brcd-map");
if (node) {
  var cfg = JSON.parse(node.getAttribute("data-brcd-map"));
  import(cfg.leaflet).then(function (leaflet) {
    L = leaflet;
    if (cfg.record) { drawRecord(node, cfg); } else { drawTable(node, cfg); }
  }).catch(function (err) {
    var note = document.getElementById("brcd-map-note");
    if (note) { note.textContent = "The map could not start: " + err.message; }
  });
}
