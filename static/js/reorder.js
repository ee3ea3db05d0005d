// Ordered admin lists (assignment rules, custom fields): drag a row by its handle to reorder,
// and after htmx re-renders the list put focus back on the button that was used.
// Markup: <ol class="js-reorder" data-order-form="FORM_ID" data-focus="BUTTON_ID"> with rows
// <li class="rule-row" data-id="ID">; the hidden form has an `ids` input and hx-trigger="reorder".
(function () {
  "use strict";
  // Loaded from the page body, so again on every boosted visit: register the listeners once.
  if (window.leadappReorder) {
    window.leadappReorder.init(document.body);
    return;
  }

  function sendOrder(list) {
    const form = document.getElementById(list.dataset.orderForm);
    if (!form) return;
    form.elements.ids.value = Array.from(list.querySelectorAll(":scope > .rule-row"))
      .map((row) => row.dataset.id).join(",");
    htmx.trigger(form, "reorder");
  }

  function restoreFocus(list) {
    const wanted = list.dataset.focus;
    if (!wanted) return;
    let target = document.getElementById(wanted);
    if (target && target.disabled) {
      // Moved to the top or bottom: its arrow is now disabled, so focus the other one.
      const other = wanted.endsWith("-up") ? wanted.replace(/-up$/, "-down") : wanted.replace(/-down$/, "-up");
      target = document.getElementById(other);
    }
    if (target) target.focus();
  }

  function init(root) {
    const lists = root.matches && root.matches(".js-reorder") ? [root] : root.querySelectorAll(".js-reorder");
    lists.forEach((list) => {
      if (window.Sortable && !Sortable.get(list)) {
        Sortable.create(list, {
          handle: ".js-handle",
          draggable: ".rule-row",
          animation: 120,
          onEnd(evt) {
            if (evt.oldIndex !== evt.newIndex) sendOrder(list);
          },
        });
      }
      restoreFocus(list);
    });
  }

  window.leadappReorder = { init };
  htmx.onLoad(init);
  init(document.body);
})();
