/* Zhibao back office: live SLA countdowns and keyboard shortcuts.
   Everything works without it; this only makes the desk faster to use. */
(function () {
  "use strict";

  function typing(event) {
    var t = event.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  /* R-REV-1: amber once 80 % of the SLA is used, red when breached. */
  function tick(started) {
    var elapsed = Math.floor((Date.now() - started) / 1000);
    document.querySelectorAll(".zb-countdown[data-seconds]").forEach(function (el) {
      if (el.dataset.seconds === "") { return; }
      var left = parseInt(el.dataset.seconds, 10) - elapsed;
      var warn = parseInt(el.dataset.warn, 10) || 0;  /* the server's 80 % mark, in seconds left */
      var abs = Math.abs(left);
      el.textContent = (left < 0 ? "-" : "") + Math.floor(abs / 3600) + "h " + pad(Math.floor(abs % 3600 / 60)) + "m";
      el.classList.remove("zb-ok", "zb-warn", "zb-breached");
      el.classList.add(left <= 0 ? "zb-breached" : (left <= warn ? "zb-warn" : "zb-ok"));
    });
  }

  function queueKeys() {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#result_list tbody tr"));
    if (!rows.length) { return; }
    var current = -1;
    function select(i) {
      if (current >= 0) { rows[current].classList.remove("zb-current"); }
      current = Math.max(0, Math.min(rows.length - 1, i));
      rows[current].classList.add("zb-current");
      rows[current].scrollIntoView({ block: "nearest" });
    }
    document.addEventListener("keydown", function (event) {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) { return; }
      if (event.key === "j") { select(current + 1); }
      else if (event.key === "k") { select(current - 1); }
      else if ((event.key === "Enter" || event.key === "o") && current >= 0) {
        var link = rows[current].querySelector("th a, td a");
        if (link) { window.location = link.href; }
      } else if (event.key === "x" && current >= 0) {
        var box = rows[current].querySelector("input.action-select");
        if (box) { box.click(); }
      } else if (event.key === "/") {
        var search = document.getElementById("searchbar");
        if (search) { event.preventDefault(); search.focus(); }
      } else { return; }
    });
  }

  function reviewKeys() {
    /* The photos' keys (j, k, +, -, t, 0, c) are the evidence workspace's: workspace.js. */
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) { return; }
      if (event.key === "n") {
        var next = document.getElementById("next-claim");
        if (next) { window.location = next.href; }
        return;
      }
      if (event.key === "m") {
        var assign = document.querySelector('form[data-action="assign"] button');
        if (assign) { assign.click(); }
        return;
      }
      var box = document.querySelector('.zb-decision[data-key="' + event.key + '"]');
      if (box) {
        var field = box.querySelector("select, input:not([type=hidden]), textarea, button");
        if (field) { event.preventDefault(); field.focus(); }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var started = Date.now();
    if (document.querySelector(".zb-countdown[data-seconds]")) {
      window.setInterval(function () { tick(started); }, 30000);
    }
    document.querySelectorAll(".zb-language select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    if (document.body.classList.contains("zb-queue")) { queueKeys(); }
    if (document.body.classList.contains("zb-review-page")) { reviewKeys(); }
    var first = document.querySelector(".zb-action-page .zb-action-form select, .zb-action-page .zb-action-form input:not([type=hidden]), .zb-action-page .zb-action-form textarea");
    if (first) { first.focus(); }
  });
}());
