/* "Copy" buttons: <button data-copy="FIELD-ID" data-copy-status="STATUS-ID" data-copied="…"
   data-refused="…" hidden> copies the read-only field FIELD-ID and says so in STATUS-ID; the
   field selects itself on focus. Without a clipboard the button stays hidden. A file of its own:
   the Content-Security-Policy runs no inline script or event handler. */
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!field) { return; }
    field.addEventListener("focus", function () { field.select(); });
    if (!navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = "Copied";
        status.textContent = button.getAttribute("data-copied");
      }, function () {
        field.select();
        status.textContent = button.getAttribute("data-refused");
      });
    });
  });
})();
