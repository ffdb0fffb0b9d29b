/* LLE Portal: a live word count under each answer with a word limit
   (<textarea data-word-limit="500">), the GOV.UK character count pattern.
   The server checks the limit too (applications.forms); this only helps. */
(function () {
  "use strict";

  // The same rule as applications.sections.word_count: runs of non-space.
  function countWords(text) {
    var words = text.match(/\S+/g);
    return words ? words.length : 0;
  }

  function describe(count, limit) {
    var left = limit - count;
    if (left >= 0) {
      return "You have " + left + " word" + (left === 1 ? "" : "s") + " remaining (" + count + " of " + limit + ")";
    }
    return "You have " + -left + " word" + (left === -1 ? "" : "s") + " too many (" + count + " of " + limit + ")";
  }

  document.querySelectorAll("textarea[data-word-limit]").forEach(function (area) {
    var limit = parseInt(area.getAttribute("data-word-limit"), 10);
    if (!limit) {
      return;
    }
    var visible = document.createElement("p");
    visible.className = "word-count form-text";
    visible.id = area.id + "-word-count";
    // Announcing every keystroke would drown a screen reader: the live
    // region is updated only once typing pauses.
    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    live.setAttribute("data-word-count-live", "");
    area.insertAdjacentElement("afterend", live);
    area.insertAdjacentElement("afterend", visible);
    var described = (area.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    described.push(visible.id);
    area.setAttribute("aria-describedby", described.join(" "));

    var timer = null;
    function update() {
      var count = countWords(area.value);
      visible.textContent = describe(count, limit);
      visible.classList.toggle("word-count--over", count > limit);
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        live.textContent = describe(count, limit);
      }, 1000);
    }
    area.addEventListener("input", update);
    visible.textContent = describe(countWords(area.value), limit);
    visible.classList.toggle("word-count--over", countWords(area.value) > limit);
  });
})();
