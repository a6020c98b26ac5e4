/* The planner map's "导出图片 PNG" control: the picture of the current view, drawn by the server
   (GET /api/v1/counties/<c>/map.png, api/pictures.py) with the layers switched on now and the
   map's bounds, at the size the planner chose.  No inline script (the page's CSP). */
(function () {
  "use strict";

  /* Names of the layers on the map now (each layer group carries gisLayerName, gis-map.js). */
  function gisVisibleLayerNames(map) {
    var names = [];
    map.eachLayer(function (layer) {
      var name = layer.gisLayerName;
      if (name && names.indexOf(name) < 0) { names.push(name); }
    });
    return names;
  }

  function gisPictureUrl(form, map) {
    var url = new URL(form.getAttribute("data-url"), window.location.href);
    var b = map.getBounds();
    var round = function (v) { return Math.round(v * 1e6) / 1e6; };
    var bbox = [Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()),
                Math.min(180, b.getEast()), Math.min(90, b.getNorth())].map(round);
    url.searchParams.set("bbox", bbox.join(","));
    var names = gisVisibleLayerNames(map);
    if (names.length) { url.searchParams.set("layers", names.join(",")); }
    ["width", "height", "lang", "title"].forEach(function (key) {
      var field = form.elements[key];
      if (field && field.value) { url.searchParams.set(key, field.value); }
    });
    ["year", "minutes", "walk_speed"].forEach(function (key) {
      var value = form.getAttribute("data-" + key.replace("_", "-"));
      if (value) { url.searchParams.set(key, value); }
    });
    return url.toString();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("map-picture");
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var map = gisMap();
      if (!map) { return; }
      var href = gisPictureUrl(form, map);
      var link = document.getElementById("map-picture-link");
      link.href = href;
      link.hidden = false;
      window.open(href, "_blank", "noopener");
    });
  });

  window.gisPictureUrl = gisPictureUrl;
  window.gisVisibleLayerNames = gisVisibleLayerNames;
})();
