/* A page that follows a job in the background (an import's progress) reloads
   itself every few seconds, as its [data-refresh-seconds] says, until the
   reader presses "Stop refreshing". */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var note = document.querySelector("[data-refresh-seconds]");
    if (!note) return;
    var seconds = parseInt(note.getAttribute("data-refresh-seconds"), 10) || 2;
    var timer = window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
    var stop = document.querySelector("[data-refresh-stop]");
    if (!stop) return;
    stop.hidden = false;
    stop.addEventListener("click", function () {
      window.clearTimeout(timer);
      note.textContent = "(refreshing stopped: reload the page to see the progress)";
      stop.hidden = true;
    });
  });
}());
