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
