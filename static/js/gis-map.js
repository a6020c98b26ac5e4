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
  return group;
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
