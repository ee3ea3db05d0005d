// The kanban board: SortableJS drags and the keyboard "Move to…" menu both fill one hidden
// form (#lead-move) and let htmx post it. Dropping on a lost column asks for a reason first.
(function () {
  "use strict";
  // Loaded from the page body (htmx does not merge <head> on boosted visits), so again on every
  // visit: set up once.
  if (window.leadappBoard) {
    window.leadappBoard.init(document.body);
    return;
  }

  // The card being moved and where it came from, so Cancel (or a refused move) can put it back.
  let pending = null;
  let focusAfterMove = null;

  function cardsOf(list) {
    return Array.from(list.querySelectorAll(":scope > .lead-card"));
  }

  function fill(form, data) {
    Object.entries(data).forEach(([name, value]) => {
      if (form.elements[name]) form.elements[name].value = value == null ? "" : value;
    });
  }

  function snapBack() {
    if (!pending) return;
    const { item, from, next } = pending;
    pending = null;
    if (next && next.parentNode === from) from.insertBefore(item, next);
    else from.insertBefore(item, from.querySelector(":scope > .board-more, :scope > .board-empty"));
    focusCard(item.dataset.leadId);
  }

  function focusCard(leadId) {
    const card = document.getElementById("lead-card-" + leadId);
    const target = card && (card.querySelector(".card-menu summary") || card.querySelector(".card-title"));
    if (target) target.focus();
  }

  // Send the move of `item` (already placed in `to` in the DOM).
  function requestMove(item, to) {
    const cards = cardsOf(to);
    const index = cards.indexOf(item);
    const data = {
      lead_id: item.dataset.leadId,
      version: item.dataset.version,
      from_stage: item.dataset.stage,
      stage: to.dataset.stage,
      position: index,
      // Neighbours make the drop exact even when filters hide some cards of the column.
      above_id: index + 1 < cards.length ? cards[index + 1].dataset.leadId : "",
      below_id: index > 0 ? cards[index - 1].dataset.leadId : "",
    };
    const entering = to.dataset.kind === "lost" && item.dataset.stage !== to.dataset.stage;
    const form = document.getElementById(entering ? "lost-open" : "lead-move");
    if (!form) return;
    fill(form, data);
    htmx.trigger(form, entering ? "lost-open" : "lead-move");
  }

  function remember(item) {
    pending = { item, from: item.parentNode, next: item.nextElementSibling };
  }

  function setUpList(list) {
    if (Sortable.get(list)) return;
    Sortable.create(list, {
      group: "leads",
      draggable: ".lead-card",
      filter: ".card-menu",
      preventOnFilter: false,
      animation: 120,
      delayOnTouchOnly: true,
      delay: 150,
      ghostClass: "lead-card-ghost",
      onStart(evt) {
        pending = { item: evt.item, from: evt.from, next: evt.item.nextElementSibling };
      },
      onEnd(evt) {
        if (evt.from === evt.to && evt.oldDraggableIndex === evt.newDraggableIndex) {
          pending = null;
          return;
        }
        requestMove(evt.item, evt.to);
      },
    });
  }

  function moveFromMenu(button) {
    const item = button.closest(".lead-card");
    const to = document.querySelector('.js-stage[data-stage="' + button.dataset.stage + '"]');
    if (!item || !to) return;
    const menu = button.closest("details");
    if (menu) menu.open = false;
    remember(item);
    to.insertBefore(item, to.firstElementChild);
    to.scrollTop = 0;
    focusAfterMove = item.dataset.leadId;
    requestMove(item, to);
  }

  function applyCollapsed(column) {
    const button = column.querySelector(".js-collapse");
    if (!button) return;
    const collapsed = localStorage.getItem("board-collapsed-" + column.id) === "1";
    column.classList.toggle("is-collapsed", collapsed);
    button.setAttribute("aria-expanded", collapsed ? "false" : "true");
    button.firstChild.textContent = collapsed ? "Show" : "Hide";
  }

  function init(root) {
    const board = document.getElementById("board");
    if (board && board.classList.contains("js-board") && window.Sortable) {
      root.querySelectorAll(".js-stage").forEach(setUpList);
      if (root.matches && root.matches(".js-stage")) setUpList(root);
    }
    document.querySelectorAll(".board-column").forEach(applyCollapsed);
    const dialog = root.matches && root.matches("dialog.js-dialog") ? root : root.querySelector("dialog.js-dialog");
    if (dialog && !dialog.open) dialog.showModal();
  }
  window.leadappBoard = { init };
  htmx.onLoad(init);
  init(document.body);

  // The menu's choices come from one <template>: every stage but the card's own.
  function fillMenu(menu) {
    const list = menu.querySelector(".js-move-menu");
    const template = document.getElementById("move-menu-items");
    const card = menu.closest(".lead-card");
    if (!list || !template || !card || list.dataset.stage === card.dataset.stage) return;
    list.replaceChildren(template.content.cloneNode(true));
    list.querySelectorAll(".js-move-to").forEach((button) => {
      if (button.dataset.stage === card.dataset.stage) button.parentElement.remove();
    });
    list.dataset.stage = card.dataset.stage;
  }

  document.addEventListener("click", (evt) => {
    const summary = evt.target.closest(".card-menu > summary");
    if (summary) {
      fillMenu(summary.parentElement);
      return;
    }
    const moveButton = evt.target.closest(".js-move-to");
    if (moveButton) {
      moveFromMenu(moveButton);
      return;
    }
    const collapse = evt.target.closest(".js-collapse");
    if (collapse) {
      const column = collapse.closest(".board-column");
      const key = "board-collapsed-" + column.id;
      localStorage.setItem(key, column.classList.contains("is-collapsed") ? "0" : "1");
      applyCollapsed(column);
      return;
    }
    const cancel = evt.target.closest("#board-dialog .js-dialog-cancel");
    if (cancel) {
      evt.preventDefault();
      cancel.closest("dialog").close();
    }
  });

  document.addEventListener("toggle", (evt) => {
    if (evt.target.matches && evt.target.matches(".card-menu") && evt.target.open) fillMenu(evt.target);
  }, true);

  // Closing the loss dialog without saving (Cancel or Escape) puts the card back.
  document.addEventListener("close", (evt) => {
    if (evt.target.id !== "lost-dialog") return;
    snapBack();
    evt.target.remove();
  }, true);

  // Sent by the server with a successful move: nothing to undo any more.
  document.addEventListener("lead-moved", () => {
    pending = null;
  });

  document.addEventListener("htmx:afterSettle", () => {
    if (focusAfterMove) {
      focusCard(focusAfterMove);
      focusAfterMove = null;
    }
  });

  // A refused move (409, or 422 outside the dialog) came back with fresh columns: nothing to undo.
  document.addEventListener("htmx:afterRequest", (evt) => {
    const status = evt.detail.xhr ? evt.detail.xhr.status : 0;
    const id = evt.detail.elt && evt.detail.elt.id;
    if (status === 409 || (status === 422 && id === "lead-move")) pending = null;
  });

  // A refused move refreshes its columns out of band; a failed request leaves the DOM as the
  // drag left it, so put the card back by hand.
  document.addEventListener("htmx:responseError", (evt) => {
    const source = evt.detail.elt;
    if (source && (source.id === "lead-move" || source.id === "lost-form" || source.id === "lost-open")) snapBack();
  });
  document.addEventListener("htmx:sendError", snapBack);
})();
