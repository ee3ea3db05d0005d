// Pipelines admin: drag open stages to reorder (one hidden form posts the new order), and open
// the delete-stage dialog that htmx loads.
(function () {
  "use strict";
  // Loaded from the page body, so again on every boosted visit: register the listeners once.
  if (window.leadappPipelines) {
    window.leadappPipelines.init(document.body);
    return;
  }

  function sendOrder(list) {
    const form = document.getElementById("stage-order");
    if (!form) return;
    const ids = Array.from(list.querySelectorAll(":scope > .stage-row:not(.stage-row-closed)"))
      .map((row) => row.dataset.stageId);
    form.elements.stage_ids.value = ids.join(",");
    htmx.trigger(form, "stage-order");
  }

  function init(root) {
    const lists = root.matches && root.matches(".js-stages") ? [root] : root.querySelectorAll(".js-stages");
    lists.forEach((list) => {
      if (!window.Sortable || Sortable.get(list)) return;
      Sortable.create(list, {
        handle: ".js-handle",
        draggable: ".stage-row:not(.stage-row-closed)",
        animation: 120,
        onEnd(evt) {
          if (evt.oldDraggableIndex !== evt.newDraggableIndex) sendOrder(list);
        },
      });
    });
    const dialog = root.matches && root.matches("dialog.js-dialog") ? root : root.querySelector("dialog.js-dialog");
    if (dialog && !dialog.open) dialog.showModal();
  }

  document.addEventListener("click", (evt) => {
    const cancel = evt.target.closest("#dialog-slot .js-dialog-cancel");
    if (!cancel) return;
    evt.preventDefault();
    cancel.closest("dialog").close();
  });

  document.addEventListener("close", (evt) => {
    if (evt.target.id === "delete-stage-dialog") evt.target.remove();
  }, true);

  window.leadappPipelines = { init };
  htmx.onLoad(init);
  init(document.body);
})();
