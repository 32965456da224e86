"use strict";
/* closegate report search. It reads the text already on the page and only toggles a class, and the
   hidden attribute of the search box, on elements that are already there: it never creates markup or
   sets HTML, so no tenant string it reads can become code. The page's Content-Security-Policy lets
   this script, and only this one, run (reporting/html.py). */
(function () {
  var box = document.getElementById("search");
  var panel = document.getElementById("search-panel");
  var count = document.getElementById("search-count");
  if (!box || !panel || !count) {
    return;
  }
  var checks = Array.prototype.slice.call(document.querySelectorAll("article.check-detail"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.check-row"));
  var steps = Array.prototype.slice.call(document.querySelectorAll("section.step"));

  function apply() {
    var query = box.value.trim().toLowerCase();
    var missed = new Set();
    var matching = 0;
    checks.forEach(function (check) {
      var miss = query !== "" && check.textContent.toLowerCase().indexOf(query) === -1;
      check.classList.toggle("search-miss", miss);
      if (miss) {
        missed.add(check.getAttribute("data-check"));
      } else {
        matching += 1;
      }
    });
    rows.forEach(function (row) {
      row.classList.toggle("search-miss", missed.has(row.getAttribute("data-check")));
    });
    steps.forEach(function (step) {
      step.classList.toggle("search-miss", step.querySelector("article.check-detail:not(.search-miss)") === null);
    });
    count.textContent = query === "" ? "" : matching + " of " + checks.length + " checks match";
  }

  box.addEventListener("input", apply);
  panel.hidden = false;
  apply();
})();
