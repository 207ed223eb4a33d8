// A create form's one-time token is part of what the person left on the page. The browser
// keeps a field's value when the person goes Back only if it differs from the one the page was
// drawn with: so the token becomes the field's own value and the drawn one is cleared. Sending
// the form again then lands on what the first send created instead of creating it twice.
document.querySelectorAll("input[data-form-token]").forEach(function (input) {
  var token = input.value;
  input.value = token;
  input.defaultValue = "";
});
