// Source report: typing a custom date switches the range preset to "Custom".
(function () {
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("js-report-date")) return;
    var select = input.form && input.form.querySelector(".js-report-range");
    if (select) select.value = "custom";
  }, true);
})();
