/* LLE Portal: "Find school" shows the matching schools without reloading the
   page, so nothing typed elsewhere in the form (a password included) is lost.
   Enter in the search box finds rather than sending the whole form. Without
   JavaScript the button posts the form and the page comes back with the matches. */
(function () {
  "use strict";
  document.querySelectorAll("[data-school-finder]").forEach(function (finder) {
    var input = finder.querySelector("input[name$='school_query']");
    var button = finder.querySelector("button[value='find_school']");
    var results = finder.querySelector("[data-school-results]");
    if (!input || !button || !results || !window.fetch) {
      return;
    }
    function chosen() {
      var checked = results.querySelector("input[type='radio']:checked");
      return checked ? checked.value : "";
    }
    function find(event) {
      event.preventDefault();
      var params = new URLSearchParams({
        q: input.value, chosen: chosen(), "for": finder.getAttribute("data-finder-for") || "section"
      });
      button.disabled = true;
      fetch(finder.getAttribute("data-search-url") + "?" + params.toString(), {
        credentials: "same-origin", headers: {"X-Requested-With": "fetch"}
      }).then(function (response) {
        if (!response.ok) {
          throw new Error("search failed");
        }
        return response.text();
      }).then(function (html) {
        results.innerHTML = html;
        var status = results.querySelector("[data-school-status]");
        if (status) {
          status.focus();
        }
      }).catch(function () {
        // The server could not be asked: fall back to posting the form.
        button.form.requestSubmit(button);
      }).finally(function () {
        button.disabled = false;
      });
    }
    button.addEventListener("click", find);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        find(event);
      }
    });
  });
})();
