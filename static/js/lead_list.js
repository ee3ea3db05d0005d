// Lead list and trash: check-all, the checked count, the bulk bar's fields, confirmations.
(function () {
  "use strict";
  // Boosted navigation runs this script again each time the page is swapped in; listen once.
  if (window.leadListReady) {
    window.leadListInit();
    return;
  }
  window.leadListReady = true;

  function checkedCount(scope) {
    return scope.querySelectorAll("input.js-row-check:checked").length;
  }

  function updateCount() {
    const label = document.querySelector(".js-checked-count");
    if (label) {
      const count = checkedCount(document);
      label.textContent = count ? "(" + count + ")" : "";
    }
    document.querySelectorAll(".js-check-all").forEach((box) => {
      const table = box.closest("table");
      const rows = table ? table.querySelectorAll("input.js-row-check") : [];
      const checked = table ? checkedCount(table) : 0;
      box.checked = rows.length > 0 && checked === rows.length;
      box.indeterminate = checked > 0 && checked < rows.length;
    });
  }

  // Show only the bulk bar fields the chosen action needs (all show without JavaScript).
  function syncBulkFields() {
    const action = document.querySelector(".js-bulk-action");
    if (!action) return;
    const stage = document.querySelector(".js-bulk-stage");
    const option = stage && stage.selectedOptions[0];
    const lost = option && option.dataset.kind === "lost";
    document.querySelectorAll(".js-bulk-param").forEach((group) => {
      const forAction = group.dataset.actions.split(" ").includes(action.value);
      group.hidden = !forAction || (group.classList.contains("js-bulk-lost") && !lost);
    });
  }

  function clearPanel() {
    const panel = document.getElementById("bulk-panel");
    if (panel) panel.replaceChildren();
  }

  document.addEventListener("change", (evt) => {
    const target = evt.target;
    if (target.classList.contains("js-check-all")) {
      const table = target.closest("table");
      table.querySelectorAll("input.js-row-check").forEach((box) => { box.checked = target.checked; });
    }
    if (target.classList.contains("js-check-all") || target.classList.contains("js-row-check")) updateCount();
    if (target.classList.contains("js-bulk-action") || target.classList.contains("js-bulk-stage")) syncBulkFields();
  });

  document.addEventListener("click", (evt) => {
    const cancel = evt.target.closest(".js-bulk-cancel");
    if (cancel) {
      evt.preventDefault();
      clearPanel();
      const action = document.querySelector(".js-bulk-action");
      if (action) action.focus();
    }
    if (evt.target.closest(".js-bulk-cancel-after")) setTimeout(clearPanel, 300);
  });

  // Buttons with data-confirm-checked ask first, naming how many rows are checked.
  document.addEventListener("htmx:confirm", (evt) => {
    const elt = evt.detail.elt;
    const template = elt && elt.dataset ? elt.dataset.confirmChecked : null;
    if (!template) return;
    const form = elt.closest("form");
    const count = form ? checkedCount(form) : 0;
    if (!count) return; // the server answers with what to do
    evt.preventDefault();
    if (window.confirm(template.replace("{count}", String(count)))) evt.detail.issueRequest(true);
  });

  // A new confirmation panel takes the focus, so keyboard and screen-reader users land on it.
  document.addEventListener("htmx:afterSwap", (evt) => {
    if (evt.detail.target && evt.detail.target.id === "bulk-panel") {
      const box = document.getElementById("bulk-confirm");
      if (box) box.focus();
    }
    updateCount();
  });

  function init() {
    syncBulkFields();
    updateCount();
  }
  window.leadListInit = init;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  document.addEventListener("htmx:load", init);
})();
