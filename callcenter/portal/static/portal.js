// Enterprise-name suggestions from the directory as the name is typed (two characters or more).
// Without JavaScript the field is an ordinary text field.
(function () {
  "use strict";
  var input = document.querySelector("input[data-suggest]");
  if (!input || !window.fetch) { return; }
  var list = document.getElementById(input.getAttribute("list"));
  var timer = null, last = "";
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var typed = input.value.trim();
      if (typed.length < 2 || typed === last) { return; }
      last = typed;
      fetch(input.dataset.suggest + "?q=" + encodeURIComponent(typed), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : {names: []}; })
        .then(function (body) {
          list.textContent = "";
          (body.names || []).forEach(function (name) {
            var option = document.createElement("option");
            option.value = name;
            list.appendChild(option);
          });
        })
        .catch(function () { /* suggestions are a help, never required */ });
    }, 250);
  });
}());
