/* The "Copy" button of a survey's link (surveys/console/detail.html).
   A file of its own: the Content-Security-Policy runs no inline script or event handler. */
(function () {
  "use strict";
  var button = document.getElementById("copy-survey-link");
  var field = document.getElementById("survey-link");
  var status = document.getElementById("copy-survey-link-status");
  if (!field) { return; }
  field.addEventListener("focus", function () { field.select(); });
  if (!navigator.clipboard || !button) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(field.value).then(function () {
      button.textContent = "Copied";
      status.textContent = "The link is on your clipboard: paste it into an e-mail, a message or a web page.";
    }, function () {
      field.select();
      status.textContent = "Copying was refused by the browser: the link is selected, press Ctrl+C (⌘C on a Mac).";
    });
  });
})();
