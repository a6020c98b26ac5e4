/* The public page's record list: filter by text and type, and show a record on the map when
   its entry is chosen.  When the page holds every record (data-total <= data-page) the filter
   runs here without a round trip; otherwise the page holds the newest ones only and the
   filter and "more" ask the records API (/api/v1/counties/<c>/disclosures) page by page, so
   the page does not grow with the county's history. */
"use strict";

(function () {
  var list = document.getElementById("record-list");
  var input = document.getElementById("record-search");
  var typeSelect = document.getElementById("record-type");
  var empty = document.getElementById("record-empty");
  var count = document.getElementById("record-count");
  var more = document.getElementById("record-more");
  if (!list) { return; }
  var total = Number(list.dataset.total || 0);
  var pageSize = Number(list.dataset.page || 100);
  var paged = total > pageSize;
  var lang = list.dataset.lang || "zh";
  var shown = 0;
  var request = 0;

  function bind(li) {
    var button = li.querySelector("button.show-on-map");
    if (button) {
      button.addEventListener("click", function () {
        gisOpenFeature("record_id", li.dataset.recordId);
        document.querySelector(".map-pane").scrollIntoView({ behavior: "smooth" });
      });
    }
  }

  function item(r) {  // text only: record fields never become markup
    var li = document.createElement("li");
    li.dataset.recordId = r.record_id;
    li.dataset.type = r.type;
    var title = document.createElement("div");
    title.className = "record-title";
    title.textContent = r.title;
    var meta = document.createElement("div");
    meta.className = "record-meta";
    var kind = document.createElement("span");
    kind.className = "record-type";
    kind.textContent = lang === "zh" ? r.type : r.type_en;
    meta.appendChild(kind);
    meta.appendChild(document.createTextNode(" · " + (r.date || "—") + " · " +
      (r.doc_number || "") + " · " + (r.authority || "")));
    if (r.sample) {
      var tag = document.createElement("span");
      tag.className = "sample-tag";
      tag.textContent = list.dataset.sampleLabel;
      meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(tag);
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "show-on-map";
    button.textContent = list.dataset.showLabel;
    li.appendChild(title);
    li.appendChild(meta);
    li.appendChild(button);
    bind(li);
    return li;
  }

  function fetchPage(offset) {
    var params = new URLSearchParams({ limit: String(pageSize), offset: String(offset) });
    var text = (input.value || "").trim();
    if (text) { params.set("q", text); }
    if (typeSelect.value) { params.set("type", typeSelect.value); }
    var mine = ++request;
    fetch(list.dataset.api + "?" + params.toString(), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (body) {
        if (mine !== request) { return; }  // a newer filter was asked for meanwhile
        if (offset === 0) { list.textContent = ""; shown = 0; }
        body.records.forEach(function (r) { list.appendChild(item(r)); });
        shown += body.records.length;
        count.textContent = String(body.number_matched);
        empty.hidden = body.number_matched !== 0;
        more.hidden = shown >= body.number_matched;
      })
      .catch(function () { more.hidden = false; });
  }

  function filterHere() {
    var text = (input.value || "").trim().toLowerCase();
    var type = typeSelect.value;
    var n = 0;
    Array.prototype.forEach.call(list.querySelectorAll("li"), function (li) {
      var ok = (!type || li.dataset.type === type) &&
               (!text || li.dataset.search.indexOf(text) !== -1);
      li.hidden = !ok;
      if (ok) { n += 1; }
    });
    empty.hidden = n !== 0;
    count.textContent = String(n);
  }

  var timer = null;
  function changed() {
    if (!paged) { filterHere(); return; }
    clearTimeout(timer);
    timer = setTimeout(function () { fetchPage(0); }, 200);
  }

  Array.prototype.forEach.call(list.querySelectorAll("li"), bind);
  shown = list.querySelectorAll("li").length;
  if (input && typeSelect) {
    input.addEventListener("input", changed);
    typeSelect.addEventListener("change", changed);
    if (!paged) { filterHere(); }
  }
  if (more) {
    more.hidden = !paged;
    more.addEventListener("click", function () { fetchPage(shown); });
  }
})();
