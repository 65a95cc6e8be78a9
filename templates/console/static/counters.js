// Live character counters for the fields WeChat limits (data-limit): the same number the
// server shows, counted as wxbot counts (code points of the trimmed text; empty = fallback).
(function () {
  "use strict";
  function count(text) {
    return Array.from(text.trim()).length;
  }
  document.querySelectorAll("[data-limit][data-counter]").forEach(function (field) {
    var counter = document.getElementById(field.getAttribute("data-counter"));
    var limit = parseInt(field.getAttribute("data-limit"), 10);
    if (!counter || !limit) {
      return;
    }
    var fallback = field.getAttribute("data-fallback") || "";
    function update() {
      var n = count(field.value) || count(fallback);
      counter.textContent = n + " / " + limit;
      counter.classList.toggle("over", n > limit);
    }
    field.addEventListener("input", update);
    update();
  });
})();
