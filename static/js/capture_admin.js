// Capture form page: copy buttons for the embed code and the one-time API key.
(function () {
  "use strict";
  // Boosted navigation runs this script again on every visit; the listeners are document-wide.
  if (window.captureAdminScriptLoaded) return;
  window.captureAdminScriptLoaded = true;
  function copy(button) {
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value;
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
      if (window.leadapp) window.leadapp.showToast("Copied to the clipboard.", "success");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { source.select(); });
    } else {
      source.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
    }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".js-copy");
    if (button) copy(button);
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches(".capture-code, .capture-code-input")) event.target.select();
  });
})();
