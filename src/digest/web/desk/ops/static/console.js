// The ops console's live figures: poll the page's JSON twin and update the numbers in place.
// Without this script the page still shows the figures as they were when it was loaded.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-url]");
  if (!root || !window.fetch) { return; }
  var url = root.getAttribute("data-live-url");
  var every = Number(root.getAttribute("data-live-every")) || 2000;
  var stamp = document.getElementById("live-stamp");
  var announce = document.getElementById("live-announce");
  var failures = 0;

  function rows(key) {
    return document.querySelectorAll('[data-key="' + key.replace(/["\\]/g, "\\$&") + '"]');
  }

  function changed(row, item) {
    // The edition moved on (another person, a sender finishing): its controls are stale.
    row.setAttribute("data-version", item.version);
    var note = row.querySelector("[data-stale]");
    if (note) { note.hidden = false; }
    row.querySelectorAll("form[data-control] button").forEach(function (b) { b.disabled = true; });
    if (announce && item.values && item.values.state) {
      announce.textContent = row.getAttribute("data-label") + ": " + item.values.state;
    }
  }

  function apply(data) {
    (data.items || []).forEach(function (item) {
      rows(item.key).forEach(function (row) {
        Object.keys(item.values || {}).forEach(function (field) {
          row.querySelectorAll('[data-field="' + field + '"]').forEach(function (cell) {
            if (cell.textContent !== item.values[field]) { cell.textContent = item.values[field]; }
          });
        });
        var seen = row.getAttribute("data-version");
        if (item.version && seen && seen !== item.version) { changed(row, item); }
        if (item.state) { row.setAttribute("data-state", item.state); }
      });
    });
    if (stamp && data.at) { stamp.textContent = data.at.slice(11, 19) + " UTC"; }
  }

  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) { failures = 0; apply(data); })
      .catch(function () { failures += 1; })
      .then(function () { setTimeout(tick, failures ? Math.min(30000, every * (failures + 1)) : every); });
  }
  setTimeout(tick, every);
})();
