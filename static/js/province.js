/* The province page's choropleth selector, legend, popups and tooltips.

   The page gives its data as JSON in <script type="application/json" id="province-data">
   (api/province.py, province_page): the Folium names of the map and of the units' GeoJSON layer,
   and the selectable views (key, title, legend rows [colour, label]).  Each unit's colour and
   tooltip text per view and its planner-map link are in the layer's feature properties.  Text
   from the data reaches the page escaped (esc). */
"use strict";

(function () {
  var source = document.getElementById("province-data");
  if (!source) { return; }
  var data = JSON.parse(source.textContent);
  var map = window[data.map], layer = window[data.layer], views = data.views;
  if (!map || !layer) { return; }
  var current = "grade";

  function esc(s) {
    var d = document.createElement("div");
    d.textContent = s == null ? "" : String(s);
    return d.innerHTML;
  }
  function style(f) {
    var hasWs = !!f.properties.county_id;
    return {fillColor: f.properties.colours[current],
            fillOpacity: hasWs || current === "population" ? 0.8 : 0.55,
            color: hasWs ? "#333" : "#999", weight: hasWs ? 1.5 : 0.6};
  }
  function swatch(colour) {
    return "<i style='display:inline-block;width:14px;height:10px;margin-right:4px;" +
      "background:" + esc(colour) + "'></i>";
  }
  function legendHtml(v) {
    return v.legend.map(function (it, i) {
      if (i === 0) { return "<div><b>" + esc(it[0]) + "</b></div>"; }
      if (!it[0]) { return "<div class='small'>" + esc(it[1]) + "</div>"; }
      return "<div>" + swatch(it[0]) + esc(it[1]) + "</div>";
    }).join("");
  }
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    this._div = L.DomUtil.create("div", "province-legend");
    return this._div;
  };
  legend.addTo(map);
  var picker = L.control({position: "topright"});
  picker.onAdd = function () {
    var d = L.DomUtil.create("div", "province-picker");
    var s = L.DomUtil.create("select", "form-select form-select-sm", d);
    s.id = "province-view";
    s.setAttribute("aria-label", "choropleth / 专题");
    var groups = {};
    views.forEach(function (v) {
      var o = document.createElement("option");
      o.value = v.key;
      o.textContent = v.title;
      if (!v.group) { s.appendChild(o); return; }
      if (!groups[v.group]) {  // e.g. 按变化着色 / colour by change (api/province_change.py)
        groups[v.group] = document.createElement("optgroup");
        groups[v.group].label = v.group;
        s.appendChild(groups[v.group]);
      }
      groups[v.group].appendChild(o);
    });
    L.DomEvent.disableClickPropagation(d);
    s.addEventListener("change", function () { show(s.value); });
    return d;
  };
  picker.addTo(map);
  function show(key) {
    current = key;
    layer.setStyle(style);
    var v = views.filter(function (x) { return x.key === key; })[0];
    legend._div.innerHTML = legendHtml(v);
  }
  function popup(p) {
    var pop = p.population == null ? "—" : p.population.toLocaleString("en-US");
    var html = "<b>" + esc(p.name) + "</b> (" + esc(p.adcode) + ", " + esc(p.city) + ")";
    html += "<br>2020年人口 population: " + esc(pop);
    if (p.note) { html += "<br><i>" + esc(p.note) + "</i>"; }
    if (!p.county_id) { return html + "<br><span class='text-muted'>无工作区 / no workspace</span>"; }
    if (p.rank) {
      html += "<br>第" + esc(p.rank) + "名 · " + esc(p.grade) + " · " + esc(p.score) + " 分";
    } else {
      html += "<br>无本年结果 / no result this year";
    }
    if (p.copy_label) { html += "<br><i>" + esc(p.copy_label) + "</i>"; }
    return html + "<br><a href='" + esc(p.map_url) + "'>规划图 planner map →</a>";
  }
  layer.eachLayer(function (l) {
    var p = l.feature.properties;
    l.bindPopup(popup(p));
    l.bindTooltip(function () { return esc(p.name) + ": " + esc(p.texts[current]); },
                  {sticky: true});
  });
  show(current);
})();
