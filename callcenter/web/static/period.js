// The reports form: the date control follows the period (日报 → a day, 周报 → any day of the week,
// 月报 → a year and a month, 季报 → a year and a quarter, 年报 → a year). Selects and a number rather
// than the browser's month/week pickers, which print their names in the browser's own language. Without this script the form still works: the server
// reads any of these forms for any period (2026-12 under 季报 means 2026-Q4).
"use strict";

(function () {
  var PATTERNS = [  // what the server's periods.anchor_day reads, each to its first day
    [/^(\d{4})-(\d{2})-(\d{2})$/, function (m) { return new Date(Date.UTC(+m[1], m[2] - 1, +m[3])); }],
    [/^(\d{4})-?W(\d{2})$/i, function (m) { return weekMonday(+m[1], +m[2]); }],
    [/^(\d{4})-(\d{2})$/, function (m) { return new Date(Date.UTC(+m[1], m[2] - 1, 1)); }],
    [/^(\d{4})-?Q([1-4])$/i, function (m) { return new Date(Date.UTC(+m[1], (m[2] - 1) * 3, 1)); }],
    [/^(\d{4})$/, function (m) { return new Date(Date.UTC(+m[1], 0, 1)); }]
  ];

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function weekMonday(year, week) {  // ISO week: week 1 holds 4 January
    var jan4 = new Date(Date.UTC(year, 0, 4));
    var monday = new Date(jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * 864e5);
    return new Date(monday.getTime() + (week - 1) * 7 * 864e5);
  }

  function isoWeek(day) {
    var thursday = new Date(day.getTime() + (3 - (day.getUTCDay() + 6) % 7) * 864e5);
    var year = thursday.getUTCFullYear();
    return [year, 1 + Math.round((thursday - weekMonday(year, 1)) / (7 * 864e5))];
  }

  function parse(text) {
    for (var i = 0; i < PATTERNS.length; i++) {
      var m = PATTERNS[i][0].exec(text.trim());
      if (m) { var d = PATTERNS[i][1](m); return isNaN(d) ? null : d; }
    }
    return null;
  }

  function key(kind, day, quarter) {  // the `date` value the server expects for the period
    var y = day.getUTCFullYear(), mo = day.getUTCMonth() + 1;
    if (kind === "day") { return y + "-" + pad(mo) + "-" + pad(day.getUTCDate()); }
    if (kind === "week") { var w = isoWeek(day); return w[0] + "-W" + pad(w[1]); }
    if (kind === "month") { return y + "-" + pad(mo); }
    if (kind === "quarter") { return y + "-Q" + (quarter || Math.floor((mo - 1) / 3) + 1); }
    return String(y);
  }

  function enhance(form) {
    var kind = form.querySelector("[name=period]");
    var text = form.querySelector("[name=date]");
    var anchor = parse(text.value);
    if (!anchor) { return; }  // what the user typed was refused: leave it in view to correct
    var parts = {};
    form.querySelectorAll("[data-part]").forEach(function (el) { parts[el.dataset.part] = el; });
    var quarterOf = function () { return Math.floor(anchor.getUTCMonth() / 3) + 1; };

    function show() {
      var k = kind.value;
      form.querySelectorAll("[data-kinds]").forEach(function (label) {
        label.hidden = label.dataset.kinds.split(" ").indexOf(k) < 0;
      });
      form.querySelector("[data-caption]").textContent = k === "week" ? "该周任一天" : "日期";
      parts.day.value = key("day", anchor);
      parts.year.value = anchor.getUTCFullYear();
      parts.month.value = String(anchor.getUTCMonth() + 1);
      parts.quarter.value = String(quarterOf());
      text.value = key(k, anchor);
    }

    function picked(ev) {
      var k = kind.value, y = parts.year.value;
      var named = ev.target === parts.day ? parts.day.value
        : k === "month" ? y + "-" + pad(+parts.month.value)
        : k === "quarter" ? y + "-Q" + parts.quarter.value : y;
      var next = parse(named);
      if (next) { anchor = next; text.value = key(k, anchor); }
    }

    text.closest("label").hidden = true;
    kind.addEventListener("change", show);
    Object.keys(parts).forEach(function (p) { parts[p].addEventListener("change", picked); });
    show();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("period-form");
    if (form) { enhance(form); }
  });
})();
