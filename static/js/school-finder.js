/* LLE Portal: in the "Find a school" box, Enter finds the school rather than
   sending the whole form. Without JavaScript the "Find school" button does it. */
(function () {
  "use strict";
  document.querySelectorAll("input[name='school_query']").forEach(function (input) {
    var button = input.form && input.form.querySelector("button[value='find_school']");
    if (!button) {
      return;
    }
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        button.click();
      }
    });
  });
})();
