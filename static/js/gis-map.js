/* Popups for every map layer.  Attribute values are put into the page with textContent only,
   so any text in the data (a record title, a road name) is shown as text, never run as HTML. */
"use strict";

function gisPopupContent(props, title) {
  var box = document.createElement("div");
  box.className = "gis-popup";
  var head = document.createElement("div");
  head.className = "gis-popup-title";
  head.textContent = title;
  box.appendChild(head);
  var table = document.createElement("table");
  Object.keys(props).forEach(function (key) {
    var value = props[key];
    if (key === "style" || key === "highlight") { return; }
    var row = document.createElement("tr");
    var th = document.createElement("th");
    th.textContent = key;
    var td = document.createElement("td");
    td.textContent = (value === null || value === undefined) ? "—" : String(value);
    row.appendChild(th);
    row.appendChild(td);
    table.appendChild(row);
  });
  box.appendChild(table);
  return box;
}

function gisBindPopup(feature, layer, layerName, title) {
  var props = (feature && feature.properties) || {};
  layer.gisLayerName = layerName;
  layer.bindPopup(function () { return gisPopupContent(props, title); }, { maxWidth: Math.min(340, window.innerWidth - 80) });
}

/* The Leaflet map object of the page (Folium names it map_<id>). */
function gisMap() {
  var el = document.querySelector(".folium-map");
  return el ? window[el.id] : null;
}

/* Open the popup of the feature whose property `key` equals `value` and centre the map on it. */
function gisOpenFeature(key, value) {
  var map = gisMap();
  if (!map) { return false; }
  var found = null;
  map.eachLayer(function (layer) {
    if (!found && layer.feature && layer.feature.properties &&
        String(layer.feature.properties[key]) === String(value)) { found = layer; }
  });
  if (!found) { return false; }
  var center = found.getLatLng ? found.getLatLng() : found.getBounds().getCenter();
  map.setView(center, Math.max(map.getZoom(), 16));
  found.openPopup(center);
  return true;
}

/* Leaflet path options of one feature from a layer style as the API sends it
   (LayerStyle.to_dict in layers/style.py; the same rules as LayerStyle.feature_style). */
function gisPythonStr(value) {
  if (value === null || value === undefined) { return "None"; }
  if (value === true) { return "True"; }
  if (value === false) { return "False"; }
  return String(value);
}

function gisFeatureStyle(style, props) {
  var out = Object.assign({}, style.base || {});
  var key = style.by_property;
  if (!key) { return out; }
  var value = props[key];
  var categories = style.categories || {};
  var breaks = style.breaks || [];
  if (Object.keys(categories).length) {
    Object.assign(out, categories[gisPythonStr(value)] || {});
  } else if (breaks.length && typeof value === "number" && !isNaN(value)) {
    var chosen = breaks[breaks.length - 1].style;
    for (var i = 0; i < breaks.length; i++) {
      var below = breaks[i].below;
      if (below === null || value < below) { chosen = breaks[i].style; break; }
    }
    Object.assign(out, chosen);
  }
  return out;
}

/* The small "loading" box of a map (bottom right), created on first use. */
function gisLoadingBox(map) {
  if (!map.gisLoadingBox) {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "gis-map-note gis-layer-loading");
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(map);
    map.gisLoadingBox = control.getContainer();
  }
  map.gisLoadingBox.style.display = "";
  return map.gisLoadingBox;
}

function gisRemoveLoadingLine(line) {
  var box = line.parentNode;
  L.DomUtil.remove(line);
  if (box && !box.firstChild) { box.style.display = "none"; }
}

function gisSameOrigin(href) {
  var url = new URL(href, window.location.href);
  if (url.origin !== window.location.origin) {
    throw new Error("refusing to fetch a layer from another host: " + url.origin);
  }
  return url.href;
}

/* Every page of a layer's features: follows the API's `next` links (same origin only). */
function gisFetchAllFeatures(url, onPage) {
  var features = [];
  function step(href) {
    return fetch(gisSameOrigin(href), {
      credentials: "same-origin",
      headers: { Accept: "application/geo+json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (page) {
      features = features.concat(page.features || []);
      onPage(features.length);
      var next = (page.links || []).filter(function (l) { return l.rel === "next"; })[0];
      return next ? step(next.href) : features;
    });
  }
  return step(url);
}

/* The layers fetched by the page (gisLazyLayer, gisViewLayer) by name, switched on and off by
   the planner's map desk (static/js/map-desk.js) whether or not they are on the map yet. */
var gisLayers = {};

function gisRegisterLayer(name, group) {
  gisLayers[name] = group;
  return group;
}

/* A layer that is not embedded in the page (hidden by default): an empty GeoJSON layer in the
   layer control whose features are fetched from the layer API the first time it is switched
   on, then drawn with the layer's style and the same textContent popups as embedded layers.
   `layer.gisState` is "idle", "loading", "loaded" or "failed" (switch it on again to retry). */
function gisLazyLayer(spec) {
  var group = L.geoJson(null, {
    smoothFactor: 1.0,
    style: function (feature) { return gisFeatureStyle(spec.style, feature.properties || {}); },
    pointToLayer: function (feature, latlng) {
      if (spec.kind === "suggestion") {
        return L.marker(latlng, { icon: L.AwesomeMarkers.icon(
          { icon: "person-running", prefix: "fa", markerColor: "darkblue", iconColor: "white" }) });
      }
      var opts = Object.assign({ radius: (spec.style.base || {}).radius || 5 },
        gisFeatureStyle(spec.style, feature.properties || {}));
      return L.circleMarker(latlng, opts);
    },
    onEachFeature: function (feature, layer) { gisBindPopup(feature, layer, spec.name, spec.title); }
  });
  group.gisLayerName = spec.name;
  group.gisState = "idle";
  group.on("add", function () {
    if (group.gisState === "loading" || group.gisState === "loaded") { return; }
    var map = group._map;
    var box = gisLoadingBox(map);
    var line = L.DomUtil.create("div", "gis-loading-line", box);
    line.setAttribute("data-layer", spec.name);
    var total = Number(spec.featureCount).toLocaleString();
    line.textContent = "正在加载 loading " + spec.title + "…";
    group.gisState = "loading";
    gisFetchAllFeatures(spec.url, function (count) {
      line.textContent = "正在加载 loading " + spec.title + "… " +
        count.toLocaleString() + " / " + total;
    }).then(function (features) {
      group.addData({ type: "FeatureCollection", features: features });
      group.gisState = "loaded";
      gisRemoveLoadingLine(line);
    }).catch(function (err) {
      group.gisState = "failed";
      line.className = "gis-loading-line gis-loading-failed";
      line.textContent = "加载失败 could not load " + spec.title + " (" + err.message +
        ")；请重新打开图层 switch it on again to retry";
      group.once("add", function () { gisRemoveLoadingLine(line); });
    });
  });
  return gisRegisterLayer(spec.name, group);
}

/* A fixed box of notes on the map (示范区, 样例数据, estimate labels): `html` is the lines as
   escaped HTML (api/maps.py, add_labels). */
function gisMapNote(map, position, html) {
  var control = L.control({ position: position });
  control.onAdd = function () {
    var box = L.DomUtil.create("div", "gis-map-note");
    box.innerHTML = html;
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  control.addTo(map);
  return control;
}

/* The data attributions, always shown, basemap or not (escaped HTML; api/maps.py). */
function gisAttribution(map, attributions) {
  attributions.forEach(function (text) { map.attributionControl.addAttribution(text); });
}

/* ---- Layers fetched for the visible view (api/maps.py ViewGeoJson; docs/api.md "view") ----
   The page embeds no features.  Each layer asks the view route for the cells covering the
   screen: Web Mercator tiles of level zoom - 2 (1,024 px at the map's zoom), geometry
   simplified for the zoom.  Cells already fetched are kept (client cache, LRU), so a pan
   fetches only the cells that come into view; the layer draws exactly the features of the
   cells covering the view (deduplicated by feature id).  A cell lists a large feature (more
   than the server's `large` vertices: a built-up area, a big gap polygon) by reference only;
   the layer fetches it once per zoom from the reference's `href` and keeps it, so a pan never
   transfers, parses or draws again a feature the page already has.  Below the layer's minZoom,
   or where a cell holds more than the server's cap, nothing is drawn and a note asks to zoom
   in. */
var gisView = { pending: 0, scheduled: 0, requests: 0, firstDrawMs: null, lastDrawMs: null };
var GIS_VIEW_DEBOUNCE_MS = 50;
var GIS_VIEW_CACHE_CELLS = 256;
var GIS_VIEW_MAX_DATA_ZOOM = 17;
var GIS_MERCATOR_MAX_LAT = 85.0511287798;

/* Whether any view layer is waiting for its debounce or for an answer, or the map is still
   zooming (tests, benchmarks).  Leaflet ends a zoom animation (the page's first fitBounds) by
   moving to its target, undoing a view set meanwhile, and fetches for it only then. */
function gisViewBusy() {
  var map = gisMap();
  return gisView.pending > 0 || gisView.scheduled > 0 || Boolean(map && map._animatingZoom);
}

function gisTileX(lon, level) {
  var n = Math.pow(2, level);
  return Math.min(n - 1, Math.max(0, Math.floor((lon + 180) / 360 * n)));
}

function gisTileY(lat, level) {
  var n = Math.pow(2, level);
  var r = Math.max(-GIS_MERCATOR_MAX_LAT, Math.min(GIS_MERCATOR_MAX_LAT, lat)) * Math.PI / 180;
  var y = (1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2 * n;
  return Math.min(n - 1, Math.max(0, Math.floor(y)));
}

function gisTileLon(x, level) { return x / Math.pow(2, level) * 360 - 180; }

function gisTileLat(y, level) {
  var k = Math.PI - 2 * Math.PI * y / Math.pow(2, level);
  return 180 / Math.PI * Math.atan(0.5 * (Math.exp(k) - Math.exp(-k)));
}

function gisRound6(v) { return Math.round(v * 1e6) / 1e6; }

/* The cells covering the map's view: {zoom, cells: [{key, bbox}], bbox (their union)}. */
function gisViewCells(map) {
  var zoom = Math.max(0, Math.min(Math.floor(map.getZoom()), GIS_VIEW_MAX_DATA_ZOOM));
  var level = Math.max(zoom - 2, 0);
  var b = map.getBounds();
  var west = Math.max(-180, b.getWest()), east = Math.min(180, b.getEast());
  var x0 = gisTileX(west, level), x1 = gisTileX(east, level);
  var y0 = gisTileY(b.getNorth(), level), y1 = gisTileY(b.getSouth(), level);
  var cells = [];
  for (var y = y0; y <= y1; y++) {
    for (var x = x0; x <= x1; x++) {
      cells.push({
        key: zoom + "/" + x + "/" + y,
        bbox: [gisRound6(gisTileLon(x, level)), gisRound6(gisTileLat(y + 1, level)),
               gisRound6(gisTileLon(x + 1, level)), gisRound6(gisTileLat(y, level))]
      });
    }
  }
  var bbox = [gisRound6(gisTileLon(x0, level)), gisRound6(gisTileLat(y1 + 1, level)),
              gisRound6(gisTileLon(x1 + 1, level)), gisRound6(gisTileLat(y0, level))];
  return { zoom: zoom, cells: cells, bbox: bbox };
}

/* The Leaflet GeoJSON options of a layer spec: its style, point markers and popups. */
function gisLayerOptions(spec, onFeature) {
  return {
    smoothFactor: 1.0,
    style: function (feature) { return gisFeatureStyle(spec.style, feature.properties || {}); },
    pointToLayer: function (feature, latlng) {
      if (spec.kind === "suggestion") {
        return L.marker(latlng, { icon: L.AwesomeMarkers.icon(
          { icon: "person-running", prefix: "fa", markerColor: "darkblue", iconColor: "white" }) });
      }
      var opts = Object.assign({ radius: (spec.style.base || {}).radius || 5 },
        gisFeatureStyle(spec.style, feature.properties || {}));
      return L.circleMarker(latlng, opts);
    },
    onEachFeature: function (feature, layer) {
      gisBindPopup(feature, layer, spec.name, spec.title);
      if (onFeature) { onFeature(feature, layer); }
    }
  };
}

function gisViewNote(group, text, kind) {
  var map = group._map;
  if (group.gisNote) { gisRemoveLoadingLine(group.gisNote); group.gisNote = null; }
  if (!text || !map) { return; }
  var line = L.DomUtil.create("div", "gis-loading-line gis-view-" + kind, gisLoadingBox(map));
  line.setAttribute("data-layer", group.gisLayerName);
  line.setAttribute("data-state", kind);
  line.textContent = text;
  group.gisNote = line;
}

function gisViewUrl(base, cell, zoom) {
  var sep = base.indexOf("?") === -1 ? "?" : "&";
  return base + sep + "bbox=" + cell.bbox.join(",") + "&zoom=" + zoom;
}

/* A layer drawn from the view route for what is on screen.  Exposed for tests: gisCells (keys
   of the cells covering the view), gisViewBbox (their union), gisZoom, gisStatus ("ok",
   "zoom_in", "too_many", "loading", "failed"), gisRequests (cells and large features fetched). */
function gisViewLayer(spec) {
  var drawn = {};       // "zoom:id" -> Leaflet layer on the group
  var cache = {};       // cell key -> answer ({status, features, references})
  var order = [];       // cell keys, least recently used first
  var inflight = {};
  var large = {};       // "zoom:id" -> a large feature fetched from its reference's href
  var largeInflight = {};
  var timer = null;
  var adding = null;
  var group = L.geoJson(null, gisLayerOptions(spec, function (feature, layer) {
    if (adding !== null) { layer.gisKey = adding; drawn[adding] = layer; }
  }));
  group.gisLayerName = spec.name;
  group.gisState = "idle";
  group.gisCells = [];
  group.gisViewBbox = null;
  group.gisRequests = 0;
  group.gisStatus = "idle";

  function touch(key) {
    var i = order.indexOf(key);
    if (i !== -1) { order.splice(i, 1); }
    order.push(key);
    while (order.length > GIS_VIEW_CACHE_CELLS) {
      var old = order.shift();
      if (group.gisCells.indexOf(old) === -1) { delete cache[old]; } else { order.push(old); break; }
    }
  }

  function redraw() {
    var zoom = group.gisZoom;
    var target = {};
    var status = "ok";
    var waiting = false;
    group.gisCells.forEach(function (key) {
      var answer = cache[key];
      if (!answer) { waiting = true; return; }
      if (answer.status !== "ok") { status = answer.status; return; }
      answer.features.forEach(function (f) { target[zoom + ":" + f.id] = f; });
      answer.references.forEach(function (ref) {
        var key = zoom + ":" + ref.id;
        if (large[key]) { target[key] = large[key]; } else { waiting = true; fetchLarge(ref, key); }
      });
    });
    var changed = false;
    Object.keys(drawn).forEach(function (key) {
      if (!target[key]) { group.removeLayer(drawn[key]); delete drawn[key]; changed = true; }
    });
    Object.keys(target).forEach(function (key) {
      if (!drawn[key]) { adding = key; group.addData(target[key]); adding = null; changed = true; }
    });
    if (changed && Object.keys(drawn).length) {
      var now = performance.now();
      if (gisView.firstDrawMs === null) { gisView.firstDrawMs = now; }
      gisView.lastDrawMs = now;
    }
    group.gisStatus = waiting ? "loading" : status;
    if (status === "too_many") {
      gisViewNote(group, spec.title + "：此范围要素过多，请放大 too many features here, zoom in", "too_many");
    } else if (!waiting) {
      gisViewNote(group, null);
    }
    if (!waiting) { group.gisState = "loaded"; }
  }

  function fetchLarge(ref, key) {
    if (largeInflight[key]) { return; }
    largeInflight[key] = true;
    group.gisState = "loading";  // (a retry after a failure draws when it arrives)
    gisView.pending += 1;
    gisView.requests += 1;
    group.gisRequests += 1;
    fetch(gisSameOrigin(ref.href), {
      credentials: "same-origin", headers: { Accept: "application/geo+json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (feature) {
      large[key] = feature;
    }).catch(function (err) {
      group.gisState = "failed";
      gisViewNote(group, "加载失败 could not load " + spec.title + " (" + err.message + ")", "failed");
    }).then(function () {
      delete largeInflight[key];
      gisView.pending -= 1;
      if (group._map && group.gisState !== "failed") { redraw(); }
    });
  }

  function fetchCell(cell, zoom) {
    if (inflight[cell.key]) { return; }
    inflight[cell.key] = true;
    gisView.pending += 1;
    gisView.requests += 1;
    group.gisRequests += 1;
    fetch(gisSameOrigin(gisViewUrl(spec.url, cell, zoom)), {
      credentials: "same-origin", headers: { Accept: "application/geo+json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (answer) {
      cache[cell.key] = { status: answer.status, features: answer.features || [],
                          references: answer.references || [] };
      touch(cell.key);
    }).catch(function (err) {
      group.gisState = "failed";
      gisViewNote(group, "加载失败 could not load " + spec.title + " (" + err.message + ")", "failed");
    }).then(function () {
      delete inflight[cell.key];
      gisView.pending -= 1;
      if (group._map && group.gisState !== "failed") { redraw(); }
    });
  }

  function update() {
    if (timer !== null) { gisView.scheduled -= 1; timer = null; }
    var map = group._map;
    if (!map) { return; }
    var view = gisViewCells(map);
    if (group.gisZoom !== view.zoom) {  // large features are kept for the current zoom only
      Object.keys(large).forEach(function (key) {
        if (key.split(":")[0] !== String(view.zoom)) { delete large[key]; }
      });
    }
    group.gisZoom = view.zoom;
    if (view.zoom < spec.minZoom) {
      group.gisCells = [];
      group.gisViewBbox = null;
      redraw();
      group.gisStatus = "zoom_in";
      gisViewNote(group, spec.title + "：放大到 " + spec.minZoom + " 级显示 zoom in to level " +
        spec.minZoom + " to see " + Number(spec.featureCount).toLocaleString() + " features", "zoom_in");
      return;
    }
    group.gisCells = view.cells.map(function (c) { return c.key; });
    group.gisViewBbox = view.bbox;
    var missing = view.cells.filter(function (c) { return !cache[c.key]; });
    view.cells.forEach(function (c) { if (cache[c.key]) { touch(c.key); } });
    if (missing.length) {
      group.gisState = "loading";
      gisViewNote(group, "正在加载 loading " + spec.title + "…", "loading");
    }
    redraw();
    missing.forEach(function (c) { fetchCell(c, view.zoom); });
  }

  function schedule() {
    if (timer === null) { gisView.scheduled += 1; } else { clearTimeout(timer); }
    timer = setTimeout(update, GIS_VIEW_DEBOUNCE_MS);
  }

  group.on("add", function () {
    group._map.on("moveend", schedule);
    schedule();
  });
  group.on("remove", function () {
    if (group._map) { group._map.off("moveend", schedule); }
    if (timer !== null) { clearTimeout(timer); timer = null; gisView.scheduled -= 1; }
    gisViewNote(group, null);
  });
  return gisRegisterLayer(spec.name, group);
}
