/* The portal's menu on a phone: folded behind its "Menu" button, which opens and closes it (Escape
   closes it too). Without this script the menu stays open and wraps (portal.css). A file, not an
   inline script: the Content-Security-Policy allows no inline code. */
(function () {
  "use strict";
  var nav = document.querySelector("nav.menu");
  if (!nav) {
    return;
  }
  var button = nav.querySelector(".menu-button");
  nav.classList.add("foldable");
  button.addEventListener("click", function () {
    button.setAttribute("aria-expanded", button.getAttribute("aria-expanded") === "true" ? "false" : "true");
  });
  nav.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
  });
})();
