/* The planner's map desk (/map/<county>): indicator first.
   An indicator selector and a grouped layer control (基础数据 / 指标缺口 / 规划 / 项目) at the top
   right, a legend of every layer on the map at the bottom right.  Picking an indicator (here or
   with a dashboard card's "在地图上查看" link) shows that indicator's inputs and gap layer and
   nothing else, and writes ?indicator=<id> into the URL, so a link opens the same view.
   Reads the JSON block #map-desk-data (layers/desk.py desk_payload) and the layers registered
   by static/js/gis-map.js (gisLayers); every text is put in with textContent. */
"use strict";

(function () {
  var dataBlock = document.getElementById("map-desk-data");
  var map = typeof gisMap === "function" ? gisMap() : null;
  if (!dataBlock || !map || typeof gisLayers !== "object") { return; }
  var desk = JSON.parse(dataBlock.textContent);
  var legends = {};
  desk.layers.forEach(function (l) { legends[l.name] = l; });
  var views = {};
  desk.views.forEach(function (v) { views[v.id] = v; });
  var selected = views[desk.selected] ? desk.selected : desk.default;
  var checkboxes = {};
  var legendBody = null;
  var select = null;
  var layersButton = null;
  var legendToggle = null;
  var legendFoldedByPanel = false;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function onMap(name) { return !!gisLayers[name] && map.hasLayer(gisLayers[name]); }

  /* The names of the layers on the map, in the catalogue's order (bottom first). */
  function visibleLayers() {
    return desk.layers.map(function (l) { return l.name; }).filter(onMap);
  }

  function tags(layer) {
    var box = el("span", "desk-tags");
    if (layer.sample) { box.appendChild(el("span", "desk-tag desk-tag-sample", "样例 sample")); }
    if (layer.estimate) { box.appendChild(el("span", "desk-tag desk-tag-estimate", "估算 estimate")); }
    return box;
  }

  function swatch(entry, dashed) {
    if (entry.shape === "marker" && L.AwesomeMarkers) {
      var holder = el("span", "desk-swatch desk-swatch-marker");
      var icon = L.AwesomeMarkers.icon(
        { icon: "person-running", prefix: "fa", markerColor: "darkblue", iconColor: "white" });
      holder.appendChild(icon.createIcon());
      return holder;
    }
    var box = el("span", "desk-swatch desk-swatch-" + entry.shape);
    box.setAttribute("data-color", entry.color);
    if (entry.shape === "line") {
      box.style.borderTopColor = entry.color;
      box.style.borderTopStyle = dashed ? "dashed" : "solid";
    } else {
      box.style.backgroundColor = entry.color;
      box.style.borderColor = entry.color;
      if (dashed) { box.style.borderStyle = "dashed"; }
    }
    return box;
  }

  function legendBlock(layer) {
    var block = el("div", "desk-legend-layer");
    block.setAttribute("data-layer", layer.name);
    var title = el("div", "desk-legend-title", layer.title_zh + " " + layer.title_en + " ");
    title.appendChild(tags(layer));
    block.appendChild(title);
    var meta = [];
    if (layer.unit_zh) { meta.push("单位 unit: " + layer.unit_zh + " · " + layer.unit_en); }
    meta.push("来源 source: " + layer.source_zh +
      (layer.source_en && layer.source_en !== layer.source_zh ? " · " + layer.source_en : ""));
    block.appendChild(el("div", "desk-legend-meta", meta.join("；")));
    var list = el("ul", "desk-legend-entries");
    layer.entries.forEach(function (entry) {
      var item = el("li", "desk-legend-entry");
      item.appendChild(swatch(entry, layer.dashed));
      item.appendChild(el("span", "", entry.label_zh + " / " + entry.label_en));
      list.appendChild(item);
    });
    block.appendChild(list);
    return block;
  }

  function legendOpen() { return !!legendBody && !legendBody.hidden; }

  function foldLegend(fold) {
    if (!legendBody) { return; }
    legendBody.hidden = fold;
    legendToggle.setAttribute("aria-expanded", fold ? "false" : "true");
    legendToggle.textContent = "图例 Legend " + (fold ? "▸" : "▾");
  }

  function refresh() {
    if (legendBody) {
      while (legendBody.firstChild) { legendBody.removeChild(legendBody.firstChild); }
      var names = visibleLayers();
      names.slice().reverse().forEach(function (name) {  // top layer first
        legendBody.appendChild(legendBlock(legends[name]));
      });
      if (!names.length) { legendBody.appendChild(el("p", "desk-legend-empty", "未显示图层 no layer shown")); }
    }
    Object.keys(checkboxes).forEach(function (name) { checkboxes[name].checked = onMap(name); });
    if (layersButton) {
      layersButton.textContent = "图层 Layers (" + visibleLayers().length + "/" +
        Object.keys(checkboxes).length + ") " + (layersButton.getAttribute("aria-expanded") === "true" ? "▴" : "▾");
    }
  }

  function setUrl(id) {
    var url = new URL(window.location.href);
    url.searchParams.set("indicator", id);
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
    document.querySelectorAll("input[name=indicator]").forEach(function (input) { input.value = id; });
  }

  function markCards(id) {
    document.querySelectorAll("[data-indicator-id]").forEach(function (card) {
      card.classList.toggle("desk-selected", card.getAttribute("data-indicator-id") === id);
    });
  }

  /* Show the view of indicator `id`: its layers on, every other layer off. */
  function choose(id) {
    var view = views[id];
    if (!view) { return false; }
    selected = id;
    Object.keys(legends).forEach(function (name) {  // catalogue layers only: others' stay as they are
      if (!gisLayers[name]) { return; }
      var want = view.layers.indexOf(name) !== -1;
      if (want && !onMap(name)) { map.addLayer(gisLayers[name]); }
      if (!want && onMap(name)) { map.removeLayer(gisLayers[name]); }
    });
    if (select) { select.value = id; }
    setUrl(id);
    markCards(id);
    refresh();
    return true;
  }

  function buildSelector(box) {
    var label = el("label", "desk-pick");
    label.appendChild(el("span", "", "指标 Indicator "));
    select = el("select");
    select.id = "desk-indicator";
    desk.views.forEach(function (view) {
      var mark = view.passed === false ? "✗ " : (view.passed === true ? "✓ " : "— ");
      var option = el("option", "", mark + view.name_zh + " · " + view.name_en);
      option.value = view.id;
      select.appendChild(option);
    });
    select.addEventListener("change", function () { choose(select.value); });
    label.appendChild(select);
    box.appendChild(label);
  }

  function buildGroups(box) {
    layersButton = el("button", "desk-layers-toggle");
    layersButton.type = "button";
    layersButton.id = "desk-layers-toggle";
    layersButton.setAttribute("aria-expanded", "false");
    layersButton.setAttribute("aria-controls", "desk-layers");
    var panel = el("div", "desk-layers");
    panel.id = "desk-layers";
    panel.hidden = true;
    layersButton.addEventListener("click", function () {
      panel.hidden = !panel.hidden;
      layersButton.setAttribute("aria-expanded", panel.hidden ? "false" : "true");
      // one panel open at a time: the layer list folds the legend, closing it unfolds it again
      if (!panel.hidden && legendOpen()) { foldLegend(true); legendFoldedByPanel = true; }
      if (!panel.hidden) { panel.style.maxHeight = Math.max(120, map.getSize().y - 240) + "px"; }
      if (panel.hidden && legendFoldedByPanel) { foldLegend(false); legendFoldedByPanel = false; }
      refresh();
    });
    desk.groups.forEach(function (group) {
      var members = desk.layers.filter(function (l) { return l.group === group.key && gisLayers[l.name]; });
      if (!members.length) { return; }
      var set = el("fieldset", "desk-group");
      set.setAttribute("data-group", group.key);
      set.appendChild(el("legend", "", group.title_zh + " " + group.title_en));
      members.forEach(function (layer) {
        var row = el("label", "desk-layer");
        row.setAttribute("data-layer", layer.name);
        var box = el("input");
        box.type = "checkbox";
        box.addEventListener("change", function () {
          if (box.checked) { map.addLayer(gisLayers[layer.name]); } else { map.removeLayer(gisLayers[layer.name]); }
        });
        checkboxes[layer.name] = box;
        row.appendChild(box);
        row.appendChild(el("span", "", " " + layer.title_zh + " / " + layer.title_en + " · " +
          Number(layer.feature_count).toLocaleString() + " "));
        row.appendChild(tags(layer));
        set.appendChild(row);
      });
      panel.appendChild(set);
    });
    box.appendChild(layersButton);
    box.appendChild(panel);
  }

  var control = L.control({ position: "topright" });
  control.onAdd = function () {
    var box = L.DomUtil.create("div", "map-desk");
    box.id = "map-desk";
    buildSelector(box);
    buildGroups(box);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  control.addTo(map);

  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var box = L.DomUtil.create("div", "map-legend");
    box.id = "map-legend";
    legendToggle = el("button", "map-legend-toggle", "图例 Legend ▾");
    legendToggle.type = "button";
    legendToggle.id = "map-legend-toggle";
    legendToggle.setAttribute("aria-expanded", "true");
    legendBody = el("div", "map-legend-body");
    legendToggle.addEventListener("click", function () {
      foldLegend(!legendBody.hidden);
      legendFoldedByPanel = false;
    });
    box.appendChild(legendToggle);
    box.appendChild(legendBody);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  legend.addTo(map);

  Object.keys(legends).forEach(function (name) {
    if (gisLayers[name]) { gisLayers[name].on("add remove", refresh); }
  });
  document.querySelectorAll("a[data-show-indicator]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (choose(link.getAttribute("data-show-indicator"))) {
        event.preventDefault();
        var pane = document.querySelector(".map-pane");
        if (pane && pane.getBoundingClientRect().top < 0) { pane.scrollIntoView(); }
      }
    });
  });

  choose(selected);

  /* For tests and other page modules. */
  window.mapDesk = { choose: choose, visibleLayers: visibleLayers, selected: function () { return selected; } };
})();
