// The new-order form opened for a live call: fills itself from the call's live draft (app.js
// passes the "draft" events on). A field the agent has changed is never overwritten; the transcript
// shows the words each field came from.
"use strict";

(function () {
  var NAMES = {category: "类别", urgency: "紧急程度", enterprise_name: "企业名称", contact_person: "联系人",
               contact_phone: "联系电话", subject: "标题", summary: "诉求内容"};

  function tag(el) {  // the confidence note beside an input, created once
    var note = el.parentNode.querySelector("span.conf");
    if (!note) {
      note = document.createElement("span");
      note.className = "conf";
      el.parentNode.appendChild(note);
    }
    return note;
  }

  function describe(f) {
    var text = "自动填写 · 置信度 " + Math.round(f.confidence * 100) + "%";
    if (f.confident === true) { return text + " · 可信"; }
    if (f.confident === false) { return text + " · 请核实"; }
    return text;
  }

  function fill(form, f) {
    var el = f.input ? form.elements[f.input] : null;
    if (!el || el.dataset.touched) { return; }  // the agent's own entry stands
    var known = function (o) { return o.value === f.value; };
    if (el.tagName === "SELECT" && !Array.prototype.some.call(el.options, known)) { return; }
    el.value = f.value;
    el.dataset.filled = "live";
    var note = tag(el);
    note.textContent = describe(f);
    note.classList.toggle("unsure", f.confident === false);
  }

  function highlight(box, text, fields) {  // DOM nodes only: a transcript is data, never HTML
    var spans = fields.filter(function (f) { return f.span; })
      .sort(function (a, b) { return a.span[0] - b.span[0]; });
    box.textContent = "";
    var at = 0;
    spans.forEach(function (f) {
      var start = f.span[0], end = f.span[1];
      if (start < at || end > text.length) { return; }  // overlapping or stale: skipped, text intact
      box.appendChild(document.createTextNode(text.slice(at, start)));
      var mark = document.createElement("mark");
      mark.dataset.field = f.field;
      mark.title = (NAMES[f.field] || "") + " · 置信度 " + Math.round(f.confidence * 100) + "%";
      mark.textContent = text.slice(start, end);
      box.appendChild(mark);
      at = end;
    });
    box.appendChild(document.createTextNode(text.slice(at)));
  }

  function start() {
    var panel = document.getElementById("live-draft");
    var form = document.querySelector("form.draft-form");
    if (!panel || !form) { return; }
    var box = document.getElementById("live-draft-text");
    var status = document.getElementById("live-draft-status");
    function touched(e) { if (e.target.name) { e.target.dataset.touched = "1"; } }
    // Shown again after a refused submit: what the form already holds is the agent's to keep.
    form.querySelectorAll("input[type=text], input:not([type]), textarea").forEach(function (el) {
      if (el.value) { el.dataset.touched = "1"; }
    });
    form.addEventListener("input", touched);  // typed or picked by the agent (a script's value sets fire neither)
    form.addEventListener("change", touched);
    document.addEventListener("zhitong:draft", function (e) {
      var draft = e.detail;
      if (!draft || draft.call !== panel.dataset.call || panel.dataset.final) { return; }
      highlight(box, draft.text || "", draft.fields || []);
      (draft.fields || []).forEach(function (f) { fill(form, f); });
      panel.dataset.updates = String(Number(panel.dataset.updates || 0) + 1);
      if (draft.final) {
        panel.dataset.final = "1";
        status.textContent = "通话已结束：已按完整转写补全您未改动的内容，请核对后登记。";
      }
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
