/* The project library page: list, map, click-to-draw form, import, history, review buttons.
   Reads its settings from the JSON block #page-data; talks to the JSON API with the session
   cookie and the page's CSRF token (header X-CSRF-Token).  Text is set with textContent only. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var zh = data.lang !== "en";
  var csrf = document.getElementById("csrf").value;
  var map = L.map("project-map", { zoomControl: true }).setView([34.75, 113.62], 12);
  window.projectMap = map;  // for tests and the console: the page's Leaflet map
  var projectLayer = L.featureGroup().addTo(map);
  var drawLayer = L.featureGroup().addTo(map);
  var pickLayer = L.featureGroup().addTo(map);
  var picked = null;  // {layer, id, geometry}: a feature of a county layer taken as the shape
  window.projectPick = { layer: pickLayer, picked: function () { return picked; } };  // tests
  var projects = [];
  var mode = null;
  var vertices = [];
  var tr = function (a, b) { return zh ? a : b; };

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }

  function show(kind, title, problems) {
    var box = document.getElementById("message");
    box.hidden = false;
    box.className = kind === "ok" ? "verdict-ok" : "verdict-bad";
    box.setAttribute("role", kind === "ok" ? "status" : "alert");
    box.replaceChildren(el("h3", title));
    if (problems && problems.length) {
      var list = el("ol", null, "problems");
      problems.forEach(function (p) {
        var item = el("li");
        item.dataset.code = p.code || "";
        item.appendChild(el("span", p.source || "", "src"));
        item.appendChild(el("span", " — " + (zh ? (p.message_zh || p.message) : p.message)));
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    box.scrollIntoView({ block: "nearest" });
  }

  function call(method, url, body, isForm) {
    var headers = { "X-CSRF-Token": csrf, "Accept": "application/json" };
    var options = { method: method, headers: headers, credentials: "same-origin" };
    if (body !== undefined) {
      if (isForm) { options.body = body; } else {
        headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(body);
      }
    }
    return fetch(url, options).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (json) {
        if (!resp.ok) {
          var err = new Error(json.message || ("HTTP " + resp.status));
          err.problems = json.errors || [];
          err.body = json;
          throw err;
        }
        return json;
      });
    });
  }

  function fail(err) {
    var problems = err.problems && err.problems.length ? err.problems : [];
    var message = err.message || "";
    if (!problems.length && message.indexOf(" | ") > 0) {
      var parts = message.split(" | ");
      message = zh ? parts[0] : parts.slice(1).join(" | ");
    }
    show("bad", tr("未保存：", "Not saved: ") + message, problems);
  }

  function fmt(value, digits) {
    if (value === null || value === undefined || value === "") { return "—"; }
    return typeof value === "number" ? value.toFixed(digits === undefined ? 2 : digits).replace(/\.?0+$/, "") : value;
  }

  function rowButton(label, cls, handler) {
    var b = el("button", label, cls);
    b.type = "button";
    b.addEventListener("click", handler);
    return b;
  }

  function render() {
    var body = document.querySelector("#project-list tbody");
    body.replaceChildren();
    projectLayer.clearLayers();
    document.getElementById("project-count").textContent = String(projects.length);
    projects.forEach(function (p) {
      var row = el("tr");
      row.dataset.projectId = p.project_id;
      row.appendChild(el("td", p.project_id));
      row.appendChild(el("td", p.name));
      row.appendChild(el("td", zh ? p.category : (p.category_en || p.category)));
      row.appendChild(el("td", fmt(p.investment_wan_yuan)));
      row.appendChild(el("td", zh ? p.status : (p.status_en || p.status)));
      row.appendChild(el("td", fmt(p.progress_pct, 1) + "%"));
      var review = el("td");
      review.appendChild(el("span", zh ? p.review_status_zh : p.review_status_en, "review-" + p.review_status));
      if (p.review_comment) {
        review.appendChild(el("div", tr("审查意见：", "Comment: ") + p.review_comment, "comment"));
      }
      row.appendChild(review);
      var actions = el("td");
      if (data.can_write) {
        actions.appendChild(rowButton(tr("编辑", "Edit"), "do-edit", function () { startEdit(p); }));
        if (p.review_status === "draft" || p.review_status === "returned") {
          actions.appendChild(rowButton(tr("提交审查", "Submit"), "do-submit", function () { act(p, "submit"); }));
        }
        actions.appendChild(rowButton(tr("删除", "Delete"), "do-delete", function () { remove(p); }));
      }
      if (data.can_review && p.review_status === "submitted") {
        actions.appendChild(rowButton(tr("通过", "Pass"), "do-pass", function () { decide(p, "pass"); }));
        actions.appendChild(rowButton(tr("退回", "Return"), "do-return", function () { decide(p, "return"); }));
      }
      actions.appendChild(rowButton(tr("记录", "History"), "do-history", function () { history(p); }));
      row.appendChild(actions);
      body.appendChild(row);
      if (p.geometry) {
        var shape = L.geoJSON(p.geometry, {
          pointToLayer: function (_f, latlng) { return L.circleMarker(latlng, { radius: 7, color: "#1a5fb4" }); },
          style: function () { return { color: "#1a5fb4", weight: 3 }; }
        });
        shape.bindTooltip(p.project_id + " " + p.name);
        shape.on("click", function () { highlight(p.project_id); });
        shape.addTo(projectLayer);
      }
    });
  }

  function highlight(id) {
    document.querySelectorAll("#project-list tbody tr").forEach(function (r) {
      r.classList.toggle("selected", r.dataset.projectId === id);
    });
  }

  function load() {
    return fetch(data.api, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (json) { projects = json.projects || []; render(); });
  }

  function loadBoundary() {
    fetch(data.boundary, { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (geojson) {
        var outline = L.geoJSON(geojson, { style: { color: "#555", weight: 2, fill: false } }).addTo(map);
        if (outline.getBounds().isValid()) { map.fitBounds(outline.getBounds()); }
      }).catch(function () { /* the map still works without the outline */ });
  }

  // --- drawing -----------------------------------------------------------------------------
  function drawState() {
    var state = document.getElementById("draw-state");
    if (!state) { return; }
    if (mode === "Pick") {
      state.textContent = picked ? tr("已选取 ", "Picked ") + picked.layer + " #" + picked.id + (picked.name ? " " + picked.name : "")
        : tr("单击地图上的一个要素", "Click a feature on the map") + (pickNote ? " · " + pickNote : "");
    } else {
      state.textContent = mode ? (tr("绘制中：", "Drawing: ") + mode + " · " + vertices.length + tr(" 个点", " point(s)")) : "";
    }
    document.querySelectorAll(".draw-tools button[data-mode]").forEach(function (b) {
      b.classList.toggle("active", b.dataset.mode === mode);
    });
  }

  function drawnGeometry() {
    if (mode === "Pick") { return picked ? picked.geometry : null; }
    if (!mode || !vertices.length) { return null; }
    var coords = vertices.map(function (v) { return [Number(v.lng.toFixed(7)), Number(v.lat.toFixed(7))]; });
    if (mode === "Point") { return { type: "Point", coordinates: coords[coords.length - 1] }; }
    if (mode === "LineString") { return coords.length >= 2 ? { type: "LineString", coordinates: coords } : null; }
    if (coords.length < 3) { return null; }
    return { type: "Polygon", coordinates: [coords.concat([coords[0]])] };
  }

  function redraw() {
    drawLayer.clearLayers();
    var geometry = drawnGeometry();
    if (geometry) {
      L.geoJSON(geometry, {
        pointToLayer: function (_f, latlng) { return L.circleMarker(latlng, { radius: 8, color: "#e66100" }); },
        style: function () { return { color: "#e66100", weight: 3 }; }
      }).addTo(drawLayer);
    } else {
      vertices.forEach(function (v) { L.circleMarker(v, { radius: 4, color: "#e66100" }).addTo(drawLayer); });
    }
    if (mode === "Point" && vertices.length) {
      var last = vertices[vertices.length - 1];
      document.getElementById("f-lon").value = last.lng.toFixed(7);
      document.getElementById("f-lat").value = last.lat.toFixed(7);
    }
    drawState();
  }

  function clearDrawing() { vertices = []; picked = null; pickLayer.clearLayers(); redraw(); }

  // --- picking a feature of a county layer (a road to widen, a park to renovate, ...) ---------
  var pickSelect = document.getElementById("pick-layer");
  var pickNote = "";
  var PICK_LIMIT = 500;
  function fillPickLayers() {
    if (!pickSelect || !data.layers) { return; }
    fetch(data.layers, { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (json) {
        var present = (json.layers || []).filter(function (l) { return l.feature_count > 0; })
          .map(function (l) { return l.name; });
        (data.pickable || []).forEach(function (p) {
          if (present.indexOf(p[0]) < 0) { return; }
          var o = el("option", tr(p[1], p[2]));
          o.value = p[0];
          pickSelect.appendChild(o);
        });
      }).catch(function () { /* picking stays empty; drawing still works */ });
  }
  function loadPickable() {
    pickLayer.clearLayers();
    if (mode !== "Pick" || !pickSelect || !pickSelect.value) { return; }
    var name = pickSelect.value;
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(",");
    var url = data.layers + "/" + encodeURIComponent(name) + "?bbox=" + bbox + "&limit=" + PICK_LIMIT + "&zoom=17";
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (json) {
      if (mode !== "Pick" || pickSelect.value !== name) { return; }
      pickNote = (json.numberMatched || 0) > (json.numberReturned || 0)
        ? tr("要素过多，仅显示前 ", "too many features: the first ") + PICK_LIMIT + tr(" 个，请放大", " shown, zoom in") : "";
      L.geoJSON(json.features || [], {
        pointToLayer: function (_f, latlng) { return L.circleMarker(latlng, { radius: 7, color: "#1a5fb4" }); },
        style: function () { return { color: "#1a5fb4", weight: 4, fillOpacity: 0.15 }; },
        onEachFeature: function (f, layer) {
          layer.on("click", function (ev) {
            L.DomEvent.stopPropagation(ev);
            picked = { layer: name, id: f.id, name: (f.properties || {}).name || "", geometry: f.geometry };
            redraw();
          });
        }
      }).addTo(pickLayer);
      drawState();
    }).catch(function (err) { pickNote = String(err.message || err); drawState(); });
  }
  if (pickSelect) { pickSelect.addEventListener("change", function () { picked = null; redraw(); loadPickable(); }); }
  map.on("moveend", function () { if (mode === "Pick") { loadPickable(); } });

  map.on("click", function (e) {
    if (!mode || mode === "Pick") { return; }
    if (mode === "Point") { vertices = [e.latlng]; } else { vertices.push(e.latlng); }
    redraw();
  });
  document.querySelectorAll(".draw-tools button[data-mode]").forEach(function (b) {
    b.addEventListener("click", function () {
      mode = b.dataset.mode;
      vertices = [];
      picked = null;
      pickLayer.clearLayers();
      redraw();
      loadPickable();
    });
  });
  var clear = document.getElementById("draw-clear");
  if (clear) { clear.addEventListener("click", function () { mode = null; clearDrawing(); }); }

  // --- the form ----------------------------------------------------------------------------
  var FIELDS = ["project_id", "name", "category", "investment_wan_yuan", "planned_start", "planned_finish",
    "status", "progress_pct", "responsible_unit", "contact", "parking_spaces"];

  function formValues() {
    var values = {};
    FIELDS.forEach(function (f) {
      var input = document.getElementById("f-" + f);
      if (input && input.value.trim() !== "") { values[f] = input.value.trim(); }
    });
    var geometry = drawnGeometry();
    var wkt = document.getElementById("f-wkt").value.trim();
    var lon = document.getElementById("f-lon").value.trim();
    var lat = document.getElementById("f-lat").value.trim();
    if (geometry && mode !== "Point") { values.geometry = geometry; }
    else if (wkt) { values.wkt = wkt; }
    else if (lon || lat) { values.lon = lon; values.lat = lat; }
    var cs = document.getElementById("f-coord_system").value;
    if (cs) { values.coord_system = cs; }
    return values;
  }

  function resetForm() {
    var form = document.getElementById("project-form");
    form.reset();
    document.getElementById("editing").value = "";
    document.getElementById("f-project_id").disabled = false;
    document.getElementById("form-title").textContent = tr("新建项目", "New project");
    document.getElementById("cancel-edit").hidden = true;
    mode = null;
    clearDrawing();
  }

  function startEdit(p) {
    resetForm();
    document.getElementById("editing").value = p.project_id;
    FIELDS.forEach(function (f) {
      var input = document.getElementById("f-" + f);
      if (input && p[f] !== null && p[f] !== undefined) { input.value = p[f]; }
    });
    document.getElementById("f-project_id").disabled = true;
    document.getElementById("form-title").textContent = tr("编辑项目 ", "Edit project ") + p.project_id;
    document.getElementById("cancel-edit").hidden = false;
    highlight(p.project_id);
    document.getElementById("project-form").scrollIntoView({ block: "nearest" });
  }

  var form = document.getElementById("project-form");
  if (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var editing = document.getElementById("editing").value;
      var values = formValues();
      var request = editing
        ? call("PUT", data.api + "/" + encodeURIComponent(editing), (delete values.project_id, values))
        : call("POST", data.api, values);
      request.then(function (json) {
        show("ok", zh ? json.message_zh : json.message_en);
        resetForm();
        return load();
      }).catch(fail);
    });
    document.getElementById("cancel-edit").addEventListener("click", resetForm);
  }

  function act(p, action) {
    call("POST", data.api + "/" + encodeURIComponent(p.project_id) + "/" + action, {})
      .then(function (json) { show("ok", zh ? json.message_zh : json.message_en); return load(); })
      .catch(fail);
  }

  function decide(p, decision) {
    var comment = window.prompt(tr("审查意见（退回必填）", "Comment (required to return)"), "") || "";
    call("POST", data.api + "/" + encodeURIComponent(p.project_id) + "/review", { decision: decision, comment: comment })
      .then(function (json) { show("ok", zh ? json.message_zh : json.message_en); return load(); })
      .catch(fail);
  }

  function remove(p) {
    if (!window.confirm(tr("删除项目 ", "Delete project ") + p.project_id + "?")) { return; }
    call("DELETE", data.api + "/" + encodeURIComponent(p.project_id))
      .then(function (json) { show("ok", zh ? json.message_zh : json.message_en); return load(); })
      .catch(fail);
  }

  function history(p) {
    fetch(data.api + "/" + encodeURIComponent(p.project_id) + "/history", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (json) {
        var box = document.getElementById("history");
        box.hidden = false;
        document.getElementById("history-id").textContent = p.project_id;
        var list = document.getElementById("history-list");
        list.replaceChildren();
        (json.history || []).forEach(function (h) {
          list.appendChild(el("li", "v" + h.version + " · " + h.created + " · " + h.user + " · " + (zh ? h.message_zh : h.message_en)));
        });
        box.scrollIntoView({ block: "nearest" });
      });
  }

  var importForm = document.getElementById("import-form");
  if (importForm) {
    importForm.addEventListener("submit", function (e) {
      e.preventDefault();
      call("POST", data.api + "/import", new FormData(importForm), true)
        .then(function (json) { show("ok", zh ? json.message_zh : json.message_en); importForm.reset(); return load(); })
        .catch(function (err) { err.message = tr("台账未导入，已保存的数据没有改变", "The register was not imported; nothing stored changed") + " | " + err.message; fail(err); });
    });
  }

  loadBoundary();
  fillPickLayers();
  load();
}());
