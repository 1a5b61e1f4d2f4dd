/* The evidence workspace of the review page (R-EVI-1): zoom, pan and rotate a photo, step through
   the claim's photos, and put a duplicate beside the matching photo of the other claim.
   Keys: j/k next/previous, + and - zoom, t rotate, 0 fit, c compare; arrow keys pan a zoomed photo
   (and step through the photos when it is not zoomed) while the photo has the focus. */
(function () {
  "use strict";

  var MIN = 1, MAX = 8, STEP = 1.25, PAN = 60;

  function typing(event) {
    var t = event.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  function start(root) {
    var stage = root.querySelector("#ws-stage");
    var image = root.querySelector("#ws-image");
    var compare = root.querySelector("#ws-compare");
    var compareImage = root.querySelector("#ws-compare-image");
    var compareButton = root.querySelector('[data-ws="compare"]');
    var items = Array.prototype.slice.call(root.querySelectorAll("[data-ws-item]"));
    var links = Array.prototype.slice.call(root.querySelectorAll("[data-ws-go]"));
    var view = { index: 0, zoom: 1, turn: 0, x: 0, y: 0, comparing: false };

    function draw() {
      var transform = "translate(" + view.x + "px, " + view.y + "px) rotate(" + view.turn + "deg) scale(" + view.zoom + ")";
      image.style.transform = transform;
      compareImage.style.transform = transform;
      root.querySelector("[data-ws-zoom]").textContent = Math.round(view.zoom * 100) + "%";
      stage.classList.toggle("zb-zoomed", view.zoom > 1);
    }

    function fit() {
      view.zoom = 1; view.turn = 0; view.x = 0; view.y = 0;
      draw();
    }

    function show(i) {
      var count = items.length;
      view.index = (i + count) % count;
      var item = items[view.index];
      var label = stage.getAttribute("aria-label").replace(/\d+ \/ \d+/, (view.index + 1) + " / " + count);
      image.src = item.dataset.full;
      image.alt = image.alt.replace(/\d+$/, String(view.index + 1));
      stage.setAttribute("aria-label", label);
      root.querySelector("[data-ws-index]").textContent = view.index + 1;
      root.querySelector('[data-ws="open"]').href = item.dataset.full;
      items.forEach(function (other, j) { other.hidden = j !== view.index; });
      links.forEach(function (link, j) {
        if (j === view.index) { link.setAttribute("aria-current", "true"); } else { link.removeAttribute("aria-current"); }
      });
      var matched = item.dataset.matchLabel !== undefined;
      compareButton.hidden = !matched;
      if (!matched) { setComparing(false); } else { setComparing(view.comparing); }
      fit();
    }

    function setComparing(on) {
      var item = items[view.index];
      view.comparing = on;
      compareButton.setAttribute("aria-pressed", on ? "true" : "false");
      compare.hidden = !on;
      root.classList.toggle("zb-comparing", on);
      if (on) {
        if (item.dataset.match) { compareImage.src = item.dataset.match; compareImage.hidden = false; }
        else { compareImage.removeAttribute("src"); compareImage.hidden = true; }
        root.querySelector("#ws-compare-caption").textContent = item.dataset.matchLabel || "";
      }
    }

    function zoom(factor) {
      view.zoom = Math.max(MIN, Math.min(MAX, view.zoom * factor));
      if (view.zoom === MIN) { view.x = 0; view.y = 0; }
      draw();
    }

    function pan(dx, dy) { view.x += dx; view.y += dy; draw(); }

    var actions = {
      prev: function () { show(view.index - 1); },
      next: function () { show(view.index + 1); },
      "zoom-in": function () { zoom(STEP); },
      "zoom-out": function () { zoom(1 / STEP); },
      rotate: function () { view.turn = (view.turn + 90) % 360; draw(); },
      reset: fit,
      compare: function () { if (!compareButton.hidden) { setComparing(!view.comparing); } }
    };
    root.querySelectorAll("button[data-ws]").forEach(function (button) {
      button.addEventListener("click", function () { actions[button.dataset.ws](); });
    });
    links.forEach(function (link, i) {
      link.addEventListener("click", function (event) { event.preventDefault(); show(i); stage.focus(); });
    });

    var keys = { j: "next", k: "prev", "+": "zoom-in", "=": "zoom-in", "-": "zoom-out", t: "rotate", "0": "reset", c: "compare" };
    var arrows = { ArrowLeft: [PAN, 0], ArrowRight: [-PAN, 0], ArrowUp: [0, PAN], ArrowDown: [0, -PAN] };
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) { return; }
      if (keys[event.key]) { event.preventDefault(); actions[keys[event.key]](); return; }
      if (document.activeElement !== stage || !arrows[event.key]) { return; }
      event.preventDefault();
      if (view.zoom > 1) { pan(arrows[event.key][0], arrows[event.key][1]); }
      else if (event.key === "ArrowRight") { actions.next(); }
      else if (event.key === "ArrowLeft") { actions.prev(); }
    });

    stage.addEventListener("wheel", function (event) {
      event.preventDefault();
      zoom(event.deltaY < 0 ? STEP : 1 / STEP);
    }, { passive: false });
    var drag = null;
    stage.addEventListener("pointerdown", function (event) {
      if (view.zoom <= 1) { return; }
      drag = { x: event.clientX, y: event.clientY };
      stage.setPointerCapture(event.pointerId);
    });
    stage.addEventListener("pointermove", function (event) {
      if (!drag) { return; }
      pan(event.clientX - drag.x, event.clientY - drag.y);
      drag = { x: event.clientX, y: event.clientY };
    });
    ["pointerup", "pointercancel"].forEach(function (name) {
      stage.addEventListener(name, function () { drag = null; });
    });
    root.classList.add("zb-ws-ready");
    show(0);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("workspace");
    if (root) { start(root); }
  });
}());
