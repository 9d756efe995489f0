"use strict";
// Filters and the detail panel of an ironprep report. Every text from the report reaches the
// page through textContent, never as markup; statuses are read from the page, not listed here.
(function () {
  var data = JSON.parse(document.getElementById("ironprep-data").textContent);
  var strings = data.strings;
  function text(index) { return index < 0 ? "" : strings[index]; }
  var boxes = Array.prototype.slice.call(document.querySelectorAll("#filters input[data-status]"));
  var role = document.getElementById("filter-role");
  var check = document.getElementById("filter-check");
  var shown = document.getElementById("shown");
  var matrix = document.getElementById("matrix");
  var columns = [];
  if (matrix) {
    columns = Array.prototype.slice.call(matrix.tHead.rows[0].cells, 1);
  }
  function roleMatches(row, wanted) {
    return !wanted || (row.getAttribute("data-roles") || "").split(" ").indexOf(wanted) >= 0;
  }
  function statusOf(cell) {
    var name = cell.className.split(" ")[0];
    return name.indexOf("st-") === 0 ? name.slice(3) : "";
  }
  function apply() {
    var statuses = {};
    boxes.forEach(function (box) { if (box.checked) { statuses[box.getAttribute("data-status")] = true; } });
    var wantedRole = role ? role.value : "";
    var wantedCheck = check ? check.value : "";
    var visible = 0;
    var total = 0;
    if (matrix) {
      var keep = columns.map(function (column) {
        var ok = !wantedCheck || column.getAttribute("data-check") === wantedCheck;
        column.hidden = !ok;
        return ok;
      });
      Array.prototype.forEach.call(matrix.tBodies[0].rows, function (row) {
        var match = false;
        var cells = row.cells;
        for (var i = 1; i < cells.length; i++) {
          var cell = cells[i];
          var spans = cell.colSpan > 1;
          var kept = spans || keep[i - 1];
          if (!spans) { cell.hidden = !kept; }
          if (kept && statuses[statusOf(cell)]) { match = true; }
        }
        row.hidden = !(match && roleMatches(row, wantedRole));
        total++;
        if (!row.hidden) { visible++; }
      });
    }
    Array.prototype.forEach.call(document.querySelectorAll("tr[data-status]"), function (row) {
      row.hidden = !(statuses[row.getAttribute("data-status")] &&
        (!wantedCheck || row.getAttribute("data-check") === wantedCheck) &&
        roleMatches(row, wantedRole));
      if (!matrix) {
        total++;
        if (!row.hidden) { visible++; }
      }
    });
    if (shown) { shown.textContent = visible + " of " + total + " shown"; }
  }
  boxes.forEach(function (box) { box.addEventListener("change", apply); });
  if (role) { role.addEventListener("change", apply); }
  if (check) { check.addEventListener("change", apply); }

  var panel = document.getElementById("detail");
  var opened = null;
  function field(name, value, code) {
    if (!value) { return; }
    var term = document.createElement("dt");
    term.textContent = name;
    var description = document.createElement("dd");
    var holder = document.createElement(code ? "pre" : "span");
    holder.textContent = value;
    description.appendChild(holder);
    panel.querySelector("dl").appendChild(term);
    panel.querySelector("dl").appendChild(description);
  }
  function open(cell) {
    var item = data.items[Number(cell.getAttribute("data-i"))];
    if (!item) { return; }
    if (opened) { opened.classList.remove("open"); }
    opened = cell;
    cell.classList.add("open");
    panel.querySelector("h3").textContent = text(item[0]) + " · " + text(item[1]);
    var tag = panel.querySelector(".tag");
    tag.textContent = text(item[2]);
    tag.className = "tag st st-" + text(item[2]);
    panel.querySelector(".title").textContent = text(item[3]);
    panel.querySelector("dl").textContent = "";
    field("observed", text(item[4]), false);
    field("expected", text(item[5]), false);
    field("reason", text(item[7]), false);
    field("fix", text(item[6]), true);
    panel.hidden = false;
  }
  if (matrix) {
    matrix.addEventListener("click", function (event) {
      var cell = event.target.closest("td[data-i]");
      if (cell) { open(cell); }
    });
  }
  if (panel) {
    panel.querySelector("button").addEventListener("click", function () {
      panel.hidden = true;
      if (opened) { opened.classList.remove("open"); opened = null; }
    });
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && panel) { panel.hidden = true; }
  });
  apply();
}());
