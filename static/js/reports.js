// Source report: typing a custom date switches the range preset to "Custom".
(function () {
  // Boosted navigation runs this script again on every visit; the listeners are document-wide.
  if (window.reportsScriptLoaded) return;
  window.reportsScriptLoaded = true;
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("js-report-date")) return;
    var select = input.form && input.form.querySelector(".js-report-range");
    if (select) select.value = "custom";
  }, true);
})();
