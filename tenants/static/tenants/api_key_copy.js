/* The "Copy" button and select-on-focus of a new API key's secret (api_key_created.html).
   A file of its own: the Content-Security-Policy runs no inline script or event handler. */
(function () {
  "use strict";
  var button = document.getElementById("copy-api-key");
  var field = document.getElementById("api-key-secret");
  var status = document.getElementById("copy-api-key-status");
  if (!field) { return; }
  field.addEventListener("focus", function () { field.select(); });
  if (!navigator.clipboard || !button) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(function () {
      button.textContent = "Copied";
      status.textContent = "The key is on your clipboard. Paste it into the partner system's settings now.";
    }, function () {
      field.select();
      status.textContent = "Copying was refused by the browser: the key is selected, press Ctrl+C (⌘C on a Mac).";
    });
  });
})();
