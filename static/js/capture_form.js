// The public capture form, inside its iframe: report its height to embed.js, hand a redirect to
// the host page, stop double clicks, and put the focus where an error needs attention.
(function () {
  "use strict";
  var body = document.body;
  var parentOrigin = body.getAttribute("data-parent-origin");
  var key = body.getAttribute("data-form-key");
  var framed = window.parent !== window;

  function post(message) {
    if (!framed || !parentOrigin) return;  // a plain iframe has no embed.js to listen
    message.key = key;
    window.parent.postMessage(message, parentOrigin);
  }

  function reportHeight() {
    post({ type: "leadapp:height", height: document.documentElement.scrollHeight });
  }

  window.addEventListener("load", reportHeight);
  if (window.ResizeObserver) new ResizeObserver(reportHeight).observe(body);

  var redirect = body.getAttribute("data-redirect-url");
  if (redirect && framed) post({ type: "leadapp:redirect", url: redirect });

  var form = document.querySelector("form.cf-form");
  if (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) {
        // Disable after this event so the browser still sends the form once.
        setTimeout(function () { button.disabled = true; button.textContent = "Sending…"; }, 0);
      }
    });
  }

  var invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();
  var thanks = document.getElementById("cf-thanks");
  if (thanks && framed) thanks.focus({ preventScroll: true });
})();
