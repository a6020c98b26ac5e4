/* The province's review queue: pass or return each submitted project (JSON API, CSRF header). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var zh = data.lang !== "en";
  var csrf = document.getElementById("csrf").value;

  function show(ok, text) {
    var box = document.getElementById("message");
    box.hidden = false;
    box.className = ok ? "verdict-ok" : "verdict-bad";
    box.setAttribute("role", ok ? "status" : "alert");
    box.textContent = text;
  }

  function decide(row, decision) {
    var url = "/api/v1/counties/" + encodeURIComponent(row.dataset.countyId) + "/projects/" +
      encodeURIComponent(row.dataset.projectId) + "/review";
    var comment = row.querySelector("textarea.comment").value;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json" },
      body: JSON.stringify({ decision: decision, comment: comment })
    }).then(function (resp) {
      return resp.json().then(function (json) {
        if (!resp.ok) {
          var parts = String(json.message || resp.status).split(" | ");
          show(false, zh ? parts[0] : parts.slice(-1)[0]);
          return;
        }
        show(true, zh ? json.message_zh : json.message_en);
        row.remove();
      });
    });
  }

  document.querySelectorAll("#queue tbody tr").forEach(function (row) {
    row.querySelector(".do-pass").addEventListener("click", function () { decide(row, "pass"); });
    row.querySelector(".do-return").addEventListener("click", function () { decide(row, "return"); });
  });
}());
