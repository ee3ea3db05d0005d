// Assignment rules admin: drag a rule by its handle to reorder (the new order goes through one
// hidden form), and after htmx re-renders the list put focus back on the button that was used.
(function () {
  "use strict";
  // Loaded from the page body, so again on every boosted visit: register the listeners once.
  if (window.leadappAssignment) {
    window.leadappAssignment.init(document.body);
    return;
  }

  function sendOrder(list) {
    const form = document.getElementById("rule-order");
    if (!form) return;
    form.elements.rule_ids.value = Array.from(list.querySelectorAll(":scope > .rule-row"))
      .map((row) => row.dataset.ruleId).join(",");
    htmx.trigger(form, "rule-order");
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
    const lists = root.matches && root.matches(".js-rules") ? [root] : root.querySelectorAll(".js-rules");
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

  window.leadappAssignment = { init };
  htmx.onLoad(init);
  init(document.body);
})();
