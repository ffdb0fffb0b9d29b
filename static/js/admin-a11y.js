/* A name for every field of the admin's forms (loaded by
   templates/admin/base_site.html). Django's admin leaves some without one:
   the boxes of the searchable selects (select2), the date and time halves of a
   date-and-time field, and the cells of a table of inline rows, whose label is
   the column's heading. Each gets the name a person reads on the page. */
(function () {
  "use strict";

  function clean(text) {
    return (text || "").replace(/\s+/g, " ").replace(/[:*]\s*$/, "").trim();
  }

  function labelFor(id) {
    if (!id) return null;
    return document.querySelector('label[for="' + CSS.escape(id) + '"]');
  }

  function ownId(element, prefix) {
    if (!element.id) element.id = prefix + "-" + Math.random().toString(36).slice(2, 9);
    return element.id;
  }

  /* select2: the box reads "<label> <chosen value>". */
  function nameSelect2(scope) {
    scope.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var container = select.parentNode.querySelector(".select2-container");
      var box = container && container.querySelector(".select2-selection");
      if (!box) return;
      var label = labelFor(select.id);
      var rendered = box.querySelector(".select2-selection__rendered");
      var ids = [];
      if (label) ids.push(ownId(label, "label"));
      else if (!box.getAttribute("aria-label")) box.setAttribute("aria-label", columnHeading(select) || select.name);
      if (rendered && rendered.id) {
        // The chosen value, read as part of the box's name: not a second, nameless text box.
        rendered.removeAttribute("role");
        rendered.removeAttribute("aria-readonly");
        ids.push(rendered.id);
      }
      if (ids.length) box.setAttribute("aria-labelledby", ids.join(" "));
    });
    // The search box of the open list (drawn at the end of the page): "Search <the field's label>".
    document.querySelectorAll(".select2-search__field:not([aria-label])").forEach(function (search) {
      var match = /^select2-(.+)-results$/.exec(search.getAttribute("aria-controls") || "");
      var label = match ? labelFor(match[1]) : null;
      search.setAttribute("aria-label", "Search" + (label ? " " + clean(label.textContent).toLowerCase() : ""));
    });
  }

  /* The heading of the column a cell of a tabular inline is in. */
  function columnHeading(field) {
    var cell = field.closest("td");
    var table = field.closest("table");
    if (!cell || !table || !table.tHead) return "";
    var index = Array.prototype.indexOf.call(cell.parentNode.children, cell);
    var heading = table.tHead.rows[0] && table.tHead.rows[0].cells[index];
    return heading ? clean(heading.textContent) : "";
  }

  function rowLabel(field) {
    var row = field.closest(".form-row, .fieldBox, .form-multiline > div");
    var label = row && row.querySelector("label");
    return label ? clean(label.textContent) : "";
  }

  function hasName(field) {
    if (field.getAttribute("aria-label") || field.getAttribute("aria-labelledby") || field.title) return true;
    if (field.closest("label")) return true;
    return Boolean(field.id && labelFor(field.id));
  }

  function nameFields(scope) {
    var fields = scope.querySelectorAll("#content-main input:not([type=hidden]):not([type=submit]):not([type=button]), "
      + "#content-main select, #content-main textarea");
    fields.forEach(function (field) {
      if (hasName(field)) return;
      var name = columnHeading(field) || rowLabel(field);
      if (!name) return;
      if (field.classList.contains("vDateField")) name += " (date)";
      else if (field.classList.contains("vTimeField")) name += " (time)";
      field.setAttribute("aria-label", name);
    });
  }

  function run() {
    nameFields(document);
    nameSelect2(document);
  }

  document.addEventListener("DOMContentLoaded", run);
  window.addEventListener("load", run);
  // Rows added with "Add another", and select2 boxes drawn later.
  document.addEventListener("formset:added", run);
  if (window.MutationObserver) {
    var pending = false;
    new MutationObserver(function () {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () { pending = false; run(); });
    }).observe(document.documentElement, {childList: true, subtree: true});
  }
}());
