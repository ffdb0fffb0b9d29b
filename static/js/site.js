/* LLE Portal: the little JavaScript the site needs. Loaded with `defer`.
   Everything works without it; it only moves the focus helpfully. */
(function () {
  "use strict";

  // After a form is sent back with errors, put the focus on the error
  // summary so that screen reader and keyboard users hear what went wrong
  // (the GOV.UK error summary pattern).
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }

  // A link in the summary focuses its field and scrolls the field's label
  // into view too (a plain #anchor would hide the label above the field).
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) {
      return;
    }
    var input = document.getElementById(link.getAttribute("href").slice(1));
    if (!input) {
      return;
    }
    event.preventDefault();
    var label = document.querySelector("label[for='" + CSS.escape(input.id) + "']");
    (label || input).scrollIntoView();
    input.focus({ preventScroll: true });
  });
})();
