/* The public page's record list: filter by text and type without a round trip, and show a
   record on the map when its entry is chosen. */
"use strict";

(function () {
  var input = document.getElementById("record-search");
  var typeSelect = document.getElementById("record-type");
  var items = Array.prototype.slice.call(document.querySelectorAll("#record-list li"));
  var empty = document.getElementById("record-empty");
  var count = document.getElementById("record-count");

  function apply() {
    var text = (input.value || "").trim().toLowerCase();
    var type = typeSelect.value;
    var shown = 0;
    items.forEach(function (li) {
      var ok = (!type || li.dataset.type === type) &&
               (!text || li.dataset.search.indexOf(text) !== -1);
      li.hidden = !ok;
      if (ok) { shown += 1; }
    });
    empty.hidden = shown !== 0;
    count.textContent = String(shown);
  }

  if (input && typeSelect) {
    input.addEventListener("input", apply);
    typeSelect.addEventListener("change", apply);
    apply();
  }
  items.forEach(function (li) {
    var button = li.querySelector("button.show-on-map");
    if (button) {
      button.addEventListener("click", function () {
        gisOpenFeature("record_id", li.dataset.recordId);
        document.querySelector(".map-pane").scrollIntoView({ behavior: "smooth" });
      });
    }
  });
})();
