// The time-zone picker: a search box that narrows the <select>, and the browser's own zone
// as the default on a fresh form. Without this script the <select> works on its own.
(function () {
  "use strict";
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f\u0591-\u05c7]/g, "").toLowerCase();
  }
  function setUp(field) {
    var select = field.querySelector("select");
    var box = field.querySelector(".tz-search");
    var input = box.querySelector("input");
    var status = box.querySelector("[role=status]");
    var all = Array.prototype.map.call(select.options, function (o) {
      return { value: o.value, label: o.textContent, key: fold(o.textContent + " " + o.value) };
    });
    if (select.dataset.fromBrowser) {
      var zone = "";
      try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
      var aliases = {};
      try { aliases = JSON.parse(select.dataset.aliases || "{}"); } catch (e) { aliases = {}; }
      zone = aliases[zone] || zone;
      if (all.some(function (o) { return o.value === zone; })) { select.value = zone; }
    }
    function show() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var matches = all.filter(function (o) {
        return words.every(function (w) { return o.key.indexOf(w) >= 0; });
      });
      var chosen = select.value;
      if (matches.length && !matches.some(function (o) { return o.value === chosen; })) {
        chosen = matches[0].value;  // the first match becomes the choice, as in a combobox
      }
      var shown = matches.length ? matches : all.filter(function (o) { return o.value === chosen; });
      select.textContent = "";
      shown.forEach(function (o) {
        var option = document.createElement("option");
        option.value = o.value;
        option.textContent = o.label;
        select.appendChild(option);
      });
      select.value = chosen;
      status.textContent = words.length === 0 ? "" : matches.length === 0 ? status.dataset.none
        : status.dataset.some.replace("{n}", String(matches.length));
    }
    input.addEventListener("input", show);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); select.focus(); }
    });
    box.hidden = false;
  }
  document.querySelectorAll(".tz-picker").forEach(setUp);
})();
