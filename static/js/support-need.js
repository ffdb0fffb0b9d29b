/* The support-need form in the admin: as soon as the client school is chosen
   (or the head's first-headship date typed), ask what the official data
   suggests (deployments/admin.py, SupportNeedAdmin.suggest_view), tick those
   priority reasons and say why under them. The adviser confirms or changes
   the ticks before saving. The school's confirmed head is filled in when the
   head fields are empty. No inline script: loaded as the admin's form media. */
(function () {
  "use strict";

  function init() {
    var school = document.getElementById("id_client_school");
    if (!school || !school.dataset.suggestUrl) return;
    var headDate = document.getElementById("id_head_appointed_on");
    var reasons = document.getElementById("id_reasons");
    var panel = document.createElement("div");
    panel.id = "reason-suggestions";
    panel.className = "reason-suggestions";
    panel.setAttribute("aria-live", "polite");
    panel.hidden = true;
    var row = reasons && reasons.closest(".form-row");
    var help = document.getElementById("id_reasons_helptext") || (row && row.querySelector(".help"));
    var anchor = help || reasons;
    if (anchor) anchor.insertAdjacentElement("afterend", panel);

    function tick(reason, on) {
      var box = document.querySelector('input[name="reasons"][value="' + reason + '"]');
      if (box) box.checked = on;
    }

    function fillHead(data) {
      var name = document.getElementById("id_client_head_name");
      var head = document.getElementById("id_client_head");
      if (data.head && head && !head.value) {
        head.appendChild(new Option(data.head.name, data.head.id, true, true));
        if (window.django && window.django.jQuery) window.django.jQuery(head).trigger("change");
      }
      if (name && !name.value && data.head_name) name.value = data.head_name;
    }

    function show(data, onlyReasons) {
      var suggested = data.suggestions.map(function (s) { return s.reason; });
      (onlyReasons || data.data_reasons).forEach(function (reason) {
        tick(reason, suggested.indexOf(reason) !== -1);
      });
      if (!onlyReasons) fillHead(data);
      panel.textContent = "";
      var intro = document.createElement("p");
      if (data.suggestions.length) {
        intro.textContent = "Suggested from the official data for " + data.school
          + " (ticked above; confirm or change them before saving):";
        var list = document.createElement("ul");
        data.suggestions.forEach(function (s) {
          var item = document.createElement("li");
          var label = document.createElement("strong");
          label.textContent = s.label;
          item.appendChild(label);
          item.appendChild(document.createTextNode(": " + s.evidence));
          list.appendChild(item);
        });
        panel.appendChild(intro);
        panel.appendChild(list);
      } else {
        intro.textContent = "The official data suggests no reason for " + data.school
          + ". Tick the reasons you know of.";
        panel.appendChild(intro);
      }
      panel.hidden = false;
      // The page's own note may name the school it was opened with: it now points to the panel.
      if (help && !onlyReasons) help.textContent = "Confirm or change the ticks: why the official data suggests them is below.";
    }

    function ask(onlyReasons) {
      if (!school.value) {
        panel.hidden = true;
        return;
      }
      var url = school.dataset.suggestUrl + "?school=" + encodeURIComponent(school.value);
      if (headDate && headDate.value) url += "&head_appointed_on=" + encodeURIComponent(headDate.value);
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) show(data, onlyReasons); })
        .catch(function () { panel.hidden = true; });
    }

    // select2 announces a choice through jQuery's "change", which a plain listener does not hear.
    if (window.django && window.django.jQuery) {
      window.django.jQuery(school).on("change", function () { ask(null); });
    } else {
      school.addEventListener("change", function () { ask(null); });
    }
    if (headDate) headDate.addEventListener("change", function () { ask(["new_head"]); });
  }

  document.addEventListener("DOMContentLoaded", init);
}());
