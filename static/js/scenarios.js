/* 情景模拟 / What-if scenarios on the planner map (issue 13 item 4).
   The planner adds, moves or deletes a facility, draws a park or a road, or changes the
   population of an area; after each edit the edits go to POST .../scenarios/evaluate and the
   panel shows every indicator, the grade and the province rank before → after.  Scenarios are
   saved, listed, compared and exported through the same API.  Drawing works like the project
   library's (static/js/projects.js): click the map to place points, "完成 finish" ends a line or
   polygon.  The section #scenarios (data-api, data-layers) is on the page for the county's
   planners only; text is set with textContent only. */
(function () {
  "use strict";
  var root = document.getElementById("scenarios");
  if (!root) { return; }
  var api = root.dataset.api;
  var layersApi = root.dataset.layers;
  var query = root.dataset.query || "";
  var csrf = "";
  var state = { edits: [], mode: null, vertices: [], pick: null, counter: 0, results: null };
  window.gisScenario = state;  // for tests and the console
  var TOOLS = [
    { mode: "sports", zh: "新增体育设施", en: "add sports facility", kind: "point" },
    { mode: "parking", zh: "新增停车场", en: "add car park", kind: "point" },
    { mode: "facilities", zh: "新增生活圈设施", en: "add life-circle facility", kind: "point" },
    { mode: "parks", zh: "绘制公园", en: "draw park", kind: "polygon" },
    { mode: "roads", zh: "绘制道路", en: "draw road", kind: "line" },
    { mode: "population", zh: "修改人口", en: "change population", kind: "polygon" },
    { mode: "pick", zh: "移动/删除设施", en: "move/delete facility", kind: "pick" }
  ];
  var SPORTS_TYPES = ["pitch", "sports_centre", "fitness_station", "fitness_centre", "stadium",
    "swimming_pool", "track"];
  // the life-circle types kept in the facilities layer (kindergarten, school, clinic, ...),
  // rendered by the page from the settings' catalogue
  var typeTemplate = document.getElementById("scenario-facility-types");
  var FACILITY_TYPES = typeTemplate ? Array.prototype.map.call(
    typeTemplate.content.querySelectorAll("option"),
    function (o) { return [o.value, o.textContent]; }) : [];
  var PICK_LAYERS = ["sports", "facilities"];
  var PICK_COLOURS = { sports: "#c01c28", facilities: "#1a5fb4" };

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function fmt(v) {
    if (v === null || v === undefined) { return "—"; }
    return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(2);
  }
  function passText(p) { return p === true ? "达标 ✓" : (p === false ? "未达标 ✗" : "无数据"); }

  function call(method, url, body) {
    var headers = { "Accept": "application/json" };
    if (csrf) { headers["X-CSRF-Token"] = csrf; }
    var options = { method: method, headers: headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (json) {
        if (!resp.ok) {
          var err = new Error(json.message_zh || json.message || ("HTTP " + resp.status));
          err.problems = json.errors || [];
          throw err;
        }
        return json;
      });
    });
  }

  // --- the panel ---------------------------------------------------------------------------
  var tools = el("div", null, "scenario-tools");
  TOOLS.forEach(function (t) {
    var b = el("button", t.zh + " " + t.en);
    b.type = "button";
    b.dataset.mode = t.mode;
    b.id = "scenario-tool-" + t.mode;
    b.addEventListener("click", function () { start(t.mode); });
    tools.appendChild(b);
  });
  var options = el("div", null, "scenario-options");
  var typeSelect = el("select");
  typeSelect.id = "scenario-type";
  function setTypes(mode) {
    var types = mode === "facilities" ? FACILITY_TYPES : SPORTS_TYPES.map(function (t) { return [t, t]; });
    typeSelect.replaceChildren();
    types.forEach(function (t) { var o = el("option", t[1]); o.value = t[0]; typeSelect.appendChild(o); });
  }
  setTypes("sports");
  var number = el("input");
  number.id = "scenario-number";
  number.type = "number";
  number.min = "0";
  number.step = "any";
  number.value = "200";
  var numberLabel = el("label", "泊位/倍数/人数 spaces / factor / persons ");
  numberLabel.appendChild(number);
  var popKind = el("select");
  popKind.id = "scenario-pop-kind";
  [["factor", "倍数 factor"], ["persons", "人数 persons"]].forEach(function (k) {
    var o = el("option", k[1]); o.value = k[0]; popKind.appendChild(o);
  });
  var finish = el("button", "完成 finish");
  finish.type = "button";
  finish.id = "scenario-finish";
  var cancel = el("button", "取消 cancel");
  cancel.type = "button";
  var typeLabel = el("label", "类型 type ");
  typeLabel.appendChild(typeSelect);
  var circleBox = el("input");
  circleBox.type = "checkbox";
  circleBox.id = "scenario-life-circle";
  var circleLabel = el("label");
  circleLabel.appendChild(circleBox);
  circleLabel.appendChild(document.createTextNode(" 同时比较15分钟生活圈 compare the life circle too"));
  circleBox.addEventListener("change", function () { if (state.edits.length) { evaluate(); } });
  [typeLabel, numberLabel, popKind, finish, cancel, circleLabel].forEach(function (n) { options.appendChild(n); });
  var hint = el("p", "", "scenario-hint");
  hint.id = "scenario-hint";
  var editList = el("ol", null, "scenario-edits");
  editList.id = "scenario-edits";
  var status = el("p", "", "scenario-status");
  status.id = "scenario-status";
  status.setAttribute("role", "status");
  var board = el("div", null, "scenario-dashboard");
  board.id = "scenario-dashboard";
  var saveRow = el("div", null, "scenario-save");
  var nameInput = el("input");
  nameInput.id = "scenario-name";
  nameInput.placeholder = "情景名称 scenario name";
  var saveButton = el("button", "保存 save");
  saveButton.type = "button";
  saveButton.id = "scenario-save";
  var clearButton = el("button", "清空 clear");
  clearButton.type = "button";
  [nameInput, saveButton, clearButton].forEach(function (n) { saveRow.appendChild(n); });
  var saved = el("div", null, "scenario-saved");
  saved.id = "scenario-saved";
  var compareBox = el("div", null, "scenario-compare");
  compareBox.id = "scenario-compare";
  [tools, options, hint, editList, status, board, saveRow, saved, compareBox].forEach(function (n) {
    root.appendChild(n);
  });

  // --- the map -----------------------------------------------------------------------------
  var map = null;
  var drawLayer = null;
  var editLayer = null;
  var facilityLayer = null;
  function ready() {
    map = typeof gisMap === "function" ? gisMap() : null;
    if (!map) { hint.textContent = "地图未加载 the map did not load"; return; }
    // facilities to pick sit above every map layer (the view layers are added as the map moves)
    map.createPane("scenarioPick").style.zIndex = 650;
    drawLayer = L.featureGroup().addTo(map);
    editLayer = L.featureGroup().addTo(map);
    map.on("click", onMapClick);
  }

  function toolOf(mode) { return TOOLS.filter(function (t) { return t.mode === mode; })[0]; }

  function start(mode) {
    state.mode = mode;
    state.vertices = [];
    state.pick = null;
    redraw();
    root.querySelectorAll(".scenario-tools button").forEach(function (b) {
      b.classList.toggle("active", b.dataset.mode === mode);
    });
    if (mode === "pick") { loadFacilities(); }
    if (mode === "sports" || mode === "facilities") { setTypes(mode); }
    var t = toolOf(mode);
    // while placing or drawing, a click on a map feature adds a vertex instead of opening its popup
    if (map) { map.getContainer().classList.toggle("scenario-drawing", t.kind !== "pick"); }
    hint.textContent = t.kind === "point" ? "在地图上单击放置 click the map to place it" :
      t.kind === "pick" ? "单击一个设施（红：体育，蓝：生活圈） click a facility (red: sports, blue: life circle)" :
      "单击地图添加顶点，然后点“完成” click the map to add vertices, then finish";
  }

  function stop() {
    if (map) { map.getContainer().classList.remove("scenario-drawing"); }
    state.mode = null;
    state.vertices = [];
    state.pick = null;
    hint.textContent = "";
    redraw();
    root.querySelectorAll(".scenario-tools button").forEach(function (b) { b.classList.remove("active"); });
    if (facilityLayer) { map.removeLayer(facilityLayer); facilityLayer = null; state.facilities = null; }
  }
  cancel.addEventListener("click", stop);

  function redraw() {
    if (!drawLayer) { return; }
    drawLayer.clearLayers();
    state.vertices.forEach(function (v) { L.circleMarker(v, { radius: 4, color: "#e66100" }).addTo(drawLayer); });
    if (state.vertices.length > 1) { L.polyline(state.vertices, { color: "#e66100" }).addTo(drawLayer); }
  }

  function lonlat(ll) { return [Math.round(ll.lng * 1e7) / 1e7, Math.round(ll.lat * 1e7) / 1e7]; }

  var pickEvent = null;
  function onMapClick(e) {
    if (!state.mode || (pickEvent && e.originalEvent === pickEvent)) { return; }
    var t = toolOf(state.mode);
    if (t.kind === "point") {
      addEdit(facilityEdit(state.mode, { type: "Point", coordinates: lonlat(e.latlng) }));
      stop();
    } else if (t.kind === "pick" && state.pick) {
      addEdit({ op: "move", layer: state.pick.layer, feature: state.pick.id,
        original: state.pick.geometry, geometry: { type: "Point", coordinates: lonlat(e.latlng) } });
      stop();
    } else if (t.kind !== "pick") {
      state.vertices.push(e.latlng);
      redraw();
    }
  }

  function facilityEdit(layer, geometry) {
    var edit = { op: "add", layer: layer, geometry: geometry };
    if (layer === "sports" || layer === "facilities") { edit.facility_type = typeSelect.value; }
    if (layer === "parking") { edit.facility_type = "parking"; edit.spaces = Math.max(1, Math.round(Number(number.value) || 0)); }
    return edit;
  }

  finish.addEventListener("click", function () {
    var t = state.mode ? toolOf(state.mode) : null;
    if (!t || t.kind === "point" || t.kind === "pick") { return; }
    var coords = state.vertices.map(lonlat);
    if (t.kind === "line" && coords.length >= 2) {
      addEdit({ op: "add", layer: "roads", road_class: "branch", geometry: { type: "LineString", coordinates: coords } });
    } else if (t.kind === "polygon" && coords.length >= 3) {
      var ring = { type: "Polygon", coordinates: [coords.concat([coords[0]])] };
      if (state.mode === "parks") {
        addEdit({ op: "add", layer: "parks", geometry: ring });
      } else {
        var edit = { op: "population", geometry: ring };
        edit[popKind.value] = Math.max(0, Number(number.value) || 0);
        addEdit(edit);
      }
    } else {
      hint.textContent = "顶点不够 not enough vertices";
      return;
    }
    stop();
  });

  function loadFacilities() {
    if (!map || !layersApi) { return; }
    // only the facility layers the county has (a county without a facilities layer has none)
    call("GET", layersApi).then(function (json) {
      var present = (json.layers || []).map(function (l) { return l.name; });
      return Promise.all(PICK_LAYERS.filter(function (name) { return present.indexOf(name) >= 0; })
        .map(function (name) {
          return gisFetchAllFeatures(layersApi + "/" + name + "?limit=1000", function () {})
            .then(function (features) { return [name, features]; });
        }));
    }).then(function (pairs) {
      if (state.mode !== "pick") { return; }
      facilityLayer = L.featureGroup().addTo(map);
      pairs.forEach(function (pair) {
        var name = pair[0];
        L.geoJSON({ type: "FeatureCollection", features: pair[1] }, {
          pointToLayer: function (f, ll) {
            return L.circleMarker(ll, { radius: 8, color: PICK_COLOURS[name], pane: "scenarioPick" });
          },
          style: function () { return { color: PICK_COLOURS[name], pane: "scenarioPick" }; },
          onEachFeature: function (f, layer) {
            layer.on("click", function (ev) {
              L.DomEvent.stopPropagation(ev);
              pickEvent = ev.originalEvent;  // the map sees the same click: not a move target
              state.pick = { layer: name, id: f.id, geometry: f.geometry };
              var type = (f.properties || {}).facility_type || (f.properties || {}).leisure || "";
              hint.textContent = "已选设施 " + name + " #" + f.id + (type ? " (" + type + ")" : "") +
                "：单击地图移动到新位置，或 ";
              var del = el("button", "删除 delete");
              del.type = "button";
              del.id = "scenario-delete";
              del.addEventListener("click", function () {
                addEdit({ op: "delete", layer: name, feature: f.id, original: f.geometry });
                stop();
              });
              hint.appendChild(del);
            });
          }
        }).addTo(facilityLayer);
      });
      state.facilities = facilityLayer;
    }).catch(function (err) { hint.textContent = String(err.message || err); });
  }

  // --- edits and the dashboard ---------------------------------------------------------------
  function describe(e) {
    var names = { sports: "体育设施", parking: "停车场", parks: "公园", roads: "道路", facilities: "生活圈设施" };
    if (e.op === "population") { return "人口 population " + (e.factor !== undefined ? "×" + e.factor : "= " + e.persons); }
    var verb = { add: "新增 add", move: "移动 move", delete: "删除 delete" }[e.op];
    return verb + " " + (names[e.layer] || e.layer) + (e.facility_type ? " (" + e.facility_type + ")" : "") +
      (e.feature !== undefined ? " #" + e.feature : "") + (e.spaces ? " " + e.spaces + " 泊位" : "");
  }

  function addEdit(edit) {
    state.counter += 1;
    edit.id = "e" + state.counter;
    state.edits.push(edit);
    changed();
  }

  function changed() {
    editList.replaceChildren();
    editLayer && editLayer.clearLayers();
    state.edits.forEach(function (e, i) {
      var item = el("li", describe(e));
      item.dataset.editId = e.id;
      var x = el("button", "×");
      x.type = "button";
      x.title = "撤销 remove";
      x.addEventListener("click", function () { state.edits.splice(i, 1); changed(); });
      item.appendChild(x);
      editList.appendChild(item);
      if (editLayer && e.geometry) {
        L.geoJSON(e.geometry, { style: { color: "#613583", weight: 3 },
          pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 6, color: "#613583" }); } }).addTo(editLayer);
      }
    });
    evaluate();
  }

  var pending = 0;
  function evaluate() {
    var ticket = ++pending;
    var started = performance.now();
    status.textContent = "计算中… computing";
    root.dataset.state = "busy";
    var body = { edits: state.edits };
    if (circleBox.checked) { body.life_circle = true; }
    call("POST", api + "/evaluate" + query, body).then(function (json) {
      if (ticket !== pending) { return; }
      state.results = json.results;
      state.elapsedMs = Math.round(performance.now() - started);
      render(json.results);
      status.textContent = "已更新 updated · 服务器 server " + json.elapsed_ms + " ms · 合计 total " + state.elapsedMs + " ms";
      root.dataset.state = "ready";
    }).catch(function (err) {
      if (ticket !== pending) { return; }
      status.textContent = err.message + (err.problems || []).map(function (p) { return " · " + (p.message_zh || p.message); }).join("");
      root.dataset.state = "error";
    });
  }

  function render(r) {
    board.replaceChildren();
    var g = r.grade;
    var grade = el("p", "等级 grade " + g.before + " (" + g.score_before.toFixed(1) + ") → " + g.after + " (" + g.score_after.toFixed(1) + ")", "scenario-grade");
    grade.dataset.gradeAfter = g.after;
    grade.dataset.scoreAfter = g.score_after;
    board.appendChild(grade);
    var rank = r.rank || {};
    var rankText = rank.before === null || rank.before === undefined ?
      "省内排名 province rank: " + (rank.reason || "—") :
      "省内排名 province rank " + rank.before + " → " + rank.after + " / " + rank.of + " (" + rank.year + ")";
    var rankNode = el("p", rankText, "scenario-rank");
    rankNode.dataset.rankAfter = rank.after === null || rank.after === undefined ? "" : rank.after;
    board.appendChild(rankNode);
    board.appendChild(changeTable(r.indicators, true));
    if (r.life_circle) { board.appendChild(circleTable(r.life_circle)); }
    board.appendChild(el("p", r.label_zh + " · " + r.label_en + " · 存储图层不变 stored layers unchanged", "note"));
  }

  function circleTable(circle) {
    var box = el("div", null, "scenario-life-circle");
    box.id = "scenario-life-circle-table";
    box.appendChild(el("h3", circle.label_zh + " · " + circle.label_en + " (%)"));
    box.appendChild(changeTable(circle.indicators, false));
    return box;
  }

  // rows before → after; graded rows (the 百城 set) also show the target and the pass
  function changeTable(rows, graded) {
    var table = el("table");
    var head = el("tr");
    var titles = [graded ? "指标 indicator" : "类型 type", "现状 before", "情景 after", "变化 Δ"];
    if (graded) { titles.push("目标 target", "达标 pass"); }
    titles.forEach(function (h) { head.appendChild(el("th", h)); });
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el("tbody");
    rows.forEach(function (i) {
      var tr = el("tr");
      tr.dataset.indicatorId = i.id;
      if (i.delta) { tr.className = "changed"; }
      tr.appendChild(el("td", i.name_zh));
      var before = el("td", fmt(i.before));
      before.dataset.before = i.before === null ? "" : i.before;
      var after = el("td", fmt(i.after));
      after.dataset.after = i.after === null ? "" : i.after;
      tr.appendChild(before);
      tr.appendChild(after);
      tr.appendChild(el("td", i.delta ? (i.delta > 0 ? "+" : "") + fmt(i.delta) : ""));
      if (graded) {
        tr.appendChild(el("td", (i.comparison || "") + " " + fmt(i.target) + " " + (i.unit || "")));
        var pass = el("td", passText(i.passed_before) + " → " + passText(i.passed_after));
        pass.dataset.passedAfter = String(i.passed_after);
        tr.appendChild(pass);
      }
      body.appendChild(tr);
    });
    table.appendChild(body);
    return table;
  }

  // --- saved scenarios -------------------------------------------------------------------------
  function loadSaved() {
    return call("GET", api).then(function (json) {
      csrf = json.csrf_token || csrf;
      saved.replaceChildren(el("h3", "已保存的情景 Saved scenarios"));
      if (!json.scenarios.length) { saved.appendChild(el("p", "暂无 none yet")); return; }
      var list = el("ul");
      json.scenarios.forEach(function (s) {
        var item = el("li");
        item.dataset.scenarioId = s.scenario_id;
        var box = el("input");
        box.type = "checkbox";
        box.value = s.scenario_id;
        box.className = "scenario-compare-pick";
        item.appendChild(box);
        item.appendChild(el("span", " " + s.name + " · " + s.author + " · " + s.updated.slice(0, 16).replace("T", " ") +
          " · " + (s.grade_before || "") + "→" + (s.grade_after || "") + " "));
        var open = el("button", "打开 open");
        open.type = "button";
        open.addEventListener("click", function () {
          call("GET", api + "/" + encodeURIComponent(s.scenario_id)).then(function (doc) {
            state.edits = doc.edits;
            state.counter = doc.edits.length;
            nameInput.value = doc.name;
            changed();
          });
        });
        var link = el("a", "GeoPackage");
        link.href = api + "/" + encodeURIComponent(s.scenario_id) + "/export.gpkg";
        var del = el("button", "删除 delete");
        del.type = "button";
        del.addEventListener("click", function () {
          call("DELETE", api + "/" + encodeURIComponent(s.scenario_id)).then(loadSaved)
            .catch(function (err) { status.textContent = err.message; });
        });
        [open, link, del].forEach(function (n) { item.appendChild(n); item.appendChild(document.createTextNode(" ")); });
        list.appendChild(item);
      });
      saved.appendChild(list);
      var cmp = el("button", "对比所选 compare selected");
      cmp.type = "button";
      cmp.id = "scenario-compare-button";
      cmp.addEventListener("click", compare);
      saved.appendChild(cmp);
    }).catch(function (err) { saved.replaceChildren(el("p", err.message)); });
  }

  saveButton.addEventListener("click", function () {
    call("POST", api + query, { name: nameInput.value, edits: state.edits }).then(function (doc) {
      status.textContent = "已保存 saved: " + doc.name;
      return loadSaved();
    }).catch(function (err) {
      status.textContent = err.message + (err.problems || []).map(function (p) { return " · " + (p.message_zh || p.message); }).join("");
    });
  });
  clearButton.addEventListener("click", function () { state.edits = []; nameInput.value = ""; changed(); });

  function compare() {
    var ids = Array.prototype.map.call(saved.querySelectorAll(".scenario-compare-pick:checked"), function (b) { return b.value; });
    call("GET", api + "/compare?ids=" + encodeURIComponent(ids.join(","))).then(function (json) {
      compareBox.replaceChildren(el("h3", "情景对比 Comparison"));
      var table = el("table");
      var head = el("tr");
      head.appendChild(el("th", "指标 indicator"));
      head.appendChild(el("th", "现状 before"));
      json.scenarios.forEach(function (s) { head.appendChild(el("th", s.name + " (" + (s.grade_after || "") + ")")); });
      table.appendChild(head);
      json.indicators.forEach(function (i) {
        var tr = el("tr");
        tr.dataset.indicatorId = i.id;
        tr.appendChild(el("td", i.name_zh));
        tr.appendChild(el("td", fmt(i.before)));
        json.scenarios.forEach(function (s) {
          var v = i.scenarios[s.scenario_id] || {};
          tr.appendChild(el("td", fmt(v.after) + " " + (v.passed_after === true ? "✓" : (v.passed_after === false ? "✗" : ""))));
        });
        table.appendChild(tr);
      });
      compareBox.appendChild(table);
    }).catch(function (err) { compareBox.replaceChildren(el("p", err.message)); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { ready(); loadSaved(); });
  } else { ready(); loadSaved(); }
})();
