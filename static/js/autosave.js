/* LLE Portal: saves a section of the application as the head types.

   - A couple of seconds after typing stops, and when a field loses focus, the
     form is posted to its autosave endpoint (data-autosave-url), which saves
     each answer that is valid on its own and says which were not saved.
     "Saved at 14:32" is announced in an aria-live region.
   - A copy of the form is kept in localStorage per application and section
     (data-draft-key), so that a session timeout or a lost connection loses
     nothing: when the page loads and the copy is newer than the server's
     (data-server-updated-at) and different, a banner offers to restore it.
   Without JavaScript the page's own buttons save everything. */
(function () {
  "use strict";

  var form = document.querySelector("form[data-draft-key]");
  if (!form) {
    return;
  }
  var DELAY = 2000;
  var BLUR_DELAY = 400;
  var SKIP = { csrfmiddlewaretoken: true, action: true, "return": true };
  var draftKey = form.getAttribute("data-draft-key");
  var url = form.getAttribute("data-autosave-url");
  var serverUpdatedAt = Date.parse(form.getAttribute("data-server-updated-at") || "") || 0;
  var status = form.querySelector("[data-autosave-status]");
  var timer = null;
  var inFlight = false;
  var again = false;
  var dirty = false;

  function fieldsOf() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && !SKIP[el.name] && el.type !== "submit" && el.type !== "button" && el.type !== "password";
    });
  }

  // {name: [values]}, the shape of the form's own submission.
  function snapshot() {
    var data = {};
    fieldsOf().forEach(function (el) {
      if (!data[el.name]) {
        data[el.name] = [];
      }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) {
        return;
      }
      data[el.name].push(el.value);
    });
    return data;
  }

  function same(a, b) {
    var keys = Object.keys(a).concat(Object.keys(b));
    return keys.every(function (k) {
      return JSON.stringify(a[k] || []) === JSON.stringify(b[k] || []);
    });
  }

  function readLocal() {
    try {
      return JSON.parse(window.localStorage.getItem(draftKey) || "null");
    } catch (e) {
      return null;
    }
  }

  function storeLocal() {
    try {
      window.localStorage.setItem(draftKey, JSON.stringify({ at: Date.now(), data: snapshot() }));
    } catch (e) {
      // Private browsing or a full store: the server copy still works.
    }
  }

  function clearLocal() {
    try {
      window.localStorage.removeItem(draftKey);
    } catch (e) {
      // Nothing to clear.
    }
  }

  function restore(data) {
    fieldsOf().forEach(function (el) {
      if (!(el.name in data)) {
        return;
      }
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = data[el.name].indexOf(el.value) !== -1;
      } else {
        el.value = data[el.name][0] || "";
      }
      // Let the word count (and anything else listening) see the new value.
      el.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  function labelOf(name) {
    var el = form.querySelector("[name='" + name + "']");
    if (!el) {
      return name;
    }
    var fieldset = el.closest("fieldset");
    var label = (el.type === "radio" || el.type === "checkbox") && fieldset
      ? fieldset.querySelector("legend")
      : form.querySelector("label[for='" + el.id + "']");
    return label ? label.textContent.replace("*", "").trim() : name;
  }

  function save() {
    if (!url) {
      return;
    }
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    dirty = false;
    var body = new FormData(form);
    var token = form.querySelector("[name=csrfmiddlewaretoken]");
    window.fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "", Accept: "application/json" },
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.redirected || type.indexOf("application/json") === -1) {
          throw new Error("signed out");
        }
        return response.json().then(function (json) {
          return { ok: response.ok, json: json };
        });
      })
      .then(function (result) {
        if (!result.ok) {
          say(result.json.error || "Your answers could not be saved. They are kept on this device.");
          return;
        }
        var failed = Object.keys(result.json.errors || {});
        if (failed.length) {
          say("Saved at " + result.json.saved_at + ", except: " + failed.map(function (name) {
            return labelOf(name) + " (" + result.json.errors[name][0] + ")";
          }).join("; "));
        } else {
          say("Saved at " + result.json.saved_at);
          clearLocal();
        }
      })
      .catch(function () {
        say("Not saved: you may be offline or signed out. Your answers are kept on this device.");
      })
      .then(function () {
        inFlight = false;
        if (again) {
          again = false;
          save();
        }
      });
  }

  function changed() {
    dirty = true;
    storeLocal();
    window.clearTimeout(timer);
    timer = window.setTimeout(save, DELAY);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  // Leaving a field saves soon, not at once: when the field is left by
  // clicking "Save and continue", the form's own post does the saving and
  // the submit handler below cancels this one (two saves would race).
  form.addEventListener("focusout", function () {
    if (dirty) {
      window.clearTimeout(timer);
      timer = window.setTimeout(save, BLUR_DELAY);
    }
  });
  // The page's own buttons save on the server; the local copy stays until the
  // server is known to have it (the next page load with a newer updated-at).
  form.addEventListener("submit", function () {
    window.clearTimeout(timer);
    storeLocal();
  });

  var local = readLocal();
  if (local && local.data) {
    if (local.at <= serverUpdatedAt || same(local.data, snapshot())) {
      clearLocal();
    } else {
      var banner = form.querySelector("[data-draft-restore]");
      if (banner) {
        var when = new Date(local.at);
        var text = banner.querySelector("[data-draft-restore-text]");
        text.textContent = "This device has answers you typed at " +
          when.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" }) +
          " that were not saved. Do you want to restore them?";
        banner.hidden = false;
        banner.querySelector("[data-draft-restore-yes]").addEventListener("click", function () {
          restore(local.data);
          banner.hidden = true;
          say("Your answers have been restored. They will be saved in a moment.");
        });
        banner.querySelector("[data-draft-restore-no]").addEventListener("click", function () {
          clearLocal();
          banner.hidden = true;
        });
      }
    }
  }
})();
