// The console's own script, kept small: keyboard shortcuts, one submission per form, confirmations,
// comment templates, seeking the review page's video, and charts. Every page works without it
// (plain forms and links).
(function () {
  "use strict";

  // A button or link with data-shortcut="a" is pressed by the key "a", unless the user is typing.
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key.toLowerCase();
    var el = document.querySelector('[data-shortcut="' + CSS.escape(key) + '"]');
    if (!el || el.disabled) return;
    event.preventDefault();
    if (el.dataset.focus !== undefined) { el.focus(); return; }
    el.click();
  });

  // A form is sent once: its submit buttons are disabled while the answer comes (the server
  // refuses a second decision too). data-confirm asks first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.dataset.confirm;
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    var submitter = event.submitter;
    if (submitter && submitter.name) {  // keep the pressed button's value once it is disabled
      var keep = document.createElement("input");
      keep.type = "hidden"; keep.name = submitter.name; keep.value = submitter.value;
      form.appendChild(keep);
    }
    form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) {
      b.disabled = true;
    });
  });

  // <select data-fills="#comment">: choosing a template writes its text into the comment.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.dataset || !select.dataset.fills || !select.value) return;
    var box = document.querySelector(select.dataset.fills);
    if (box) { box.value = select.value; box.focus(); }
  });

  // <button data-seek="12.5">: the review page's video goes to that second (a line of the text
  // read off it, a finding's moment), and comes into view.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-seek]");
    var player = document.getElementById("player");
    if (!button || !player) return;
    var t = parseFloat(button.dataset.seek);
    if (isNaN(t)) return;
    player.currentTime = t;
    player.scrollIntoView({block: "nearest"});
  });

  // htmx sends the session's CSRF token with every request it makes.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.body.dataset.csrf;
    if (token) event.detail.headers["X-CSRF-Token"] = token;
  });

  // <canvas data-chart="id-of-a-json-script">: a Chart.js chart from the JSON the page carries.
  function drawCharts() {
    if (!window.Chart) return;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart);
      if (source) new window.Chart(canvas, JSON.parse(source.textContent));
    });
  }
  // A page's own scripts (Chart.js, from its head block) come after this deferred one: they have
  // all run by DOMContentLoaded.
  if (document.readyState === "complete") drawCharts();
  else document.addEventListener("DOMContentLoaded", drawCharts);
})();
