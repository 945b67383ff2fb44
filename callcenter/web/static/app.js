// Zhitong pages: live updates over server-sent events, and nothing else the pages need to work.
// Every form works without this script; it only keeps lists fresh and shows live transcripts.
"use strict";

(function () {
  var pending = null;
  function refreshSoon(panels) {  // a burst of events (a call's first events, a sweep) → one fetch per panel
    if (pending) { return; }
    pending = setTimeout(function () { pending = null; panels.forEach(refresh); }, 300);
  }

  function refresh(panel) {
    fetch(panel.dataset.refresh, {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { panel.innerHTML = html; } })
      .catch(function () {});
  }

  function line(box, text, cls) {
    var p = document.createElement("p");
    p.className = cls;
    p.textContent = text;  // text, never HTML: a transcript is data
    box.appendChild(p);
    while (box.children.length > 50) { box.removeChild(box.firstChild); }
    box.scrollTop = box.scrollHeight;
  }

  function start() {
    if (!window.EventSource || !document.body.dataset.csrf) { return; }
    var source = new EventSource("/events");
    source.onopen = function () { document.body.dataset.live = "on"; };
    var panels = document.querySelectorAll("[data-refresh]");
    var box = document.getElementById("transcript");
    var partial = null;
    var banner = null;
    source.addEventListener("order", function (e) {
      refreshSoon(panels);
      var here = document.querySelector("[data-order]");
      var data = JSON.parse(e.data);
      if (here && here.dataset.order === data.number && String(data.version) !== here.dataset.version && !banner) {
        banner = document.createElement("p");
        banner.className = "flash warn";
        banner.textContent = "此工单已有新的变化，请刷新页面查看。";
        here.prepend(banner);
      }
      var list = document.querySelector("table.list");
      if (list && !here && !panels.length) { document.body.dataset.stale = "1"; }
      // A later page of a list is not refreshed under the reader: it says there is news instead.
      document.querySelectorAll("[data-stale-notice]").forEach(function (n) { n.hidden = false; });
    });
    source.addEventListener("call", function () { refreshSoon(panels); });
    // A live call's draft, for the form opened for that call (live_draft.js fills it).
    source.addEventListener("draft", function (e) {
      document.dispatchEvent(new CustomEvent("zhitong:draft", {detail: JSON.parse(e.data)}));
    });
    source.addEventListener("end", function (e) {  // the session ended (logout, disabled, expired)
      if (JSON.parse(e.data).reason === "shutdown") { return; }  // a restart: EventSource reconnects
      source.close();
      window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname);
    });
    if (box) {
      source.addEventListener("partial", function (e) {
        var data = JSON.parse(e.data);
        if (!partial) { partial = document.createElement("p"); partial.className = "partial"; box.appendChild(partial); }
        partial.textContent = data.text;
      });
      source.addEventListener("final", function (e) {
        var data = JSON.parse(e.data);
        if (partial) { partial.remove(); partial = null; }
        if (data.text) { line(box, data.text, "final"); }
      });
      source.addEventListener("dtmf", function (e) { line(box, "按键 " + JSON.parse(e.data).digit, "dtmf"); });
    }
    setInterval(function () { panels.forEach(refresh); }, 10000);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
