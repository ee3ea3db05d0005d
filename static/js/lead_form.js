// Type-ahead comboboxes (existing company / contact): htmx loads the options into the listbox;
// this script adds the keyboard path (arrows, Enter, Escape), the pick, and aria state.
(function () {
  "use strict";
  // Loaded from the page body, so again on every boosted visit: register the listeners once.
  if (window.leadappLeadForm) return;
  window.leadappLeadForm = true;

  function parts(input) {
    const box = input.closest(".js-typeahead");
    return {
      box: box,
      list: document.getElementById(input.getAttribute("aria-controls")),
      hidden: box ? box.querySelector(".js-typeahead-value") : null,
    };
  }

  function options(list) {
    return Array.from(list.querySelectorAll('[role="option"]:not([aria-disabled="true"])'));
  }

  function setOpen(input, open) {
    const list = parts(input).list;
    input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) {
      input.removeAttribute("aria-activedescendant");
      if (list) list.innerHTML = "";
    }
  }

  function highlight(input, option) {
    const list = parts(input).list;
    list.querySelectorAll('[role="option"]').forEach((item) => {
      item.setAttribute("aria-selected", item === option ? "true" : "false");
      item.classList.toggle("is-active", item === option);
    });
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }
  }

  function pick(input, option) {
    const p = parts(input);
    input.value = option.dataset.label;
    if (p.hidden) {
      p.hidden.value = option.dataset.value;
      p.hidden.dispatchEvent(new Event("change", { bubbles: true }));
    }
    setOpen(input, false);
    input.focus();
  }

  document.addEventListener("keydown", (evt) => {
    const input = evt.target;
    if (!(input instanceof HTMLInputElement) || input.getAttribute("role") !== "combobox") return;
    const list = parts(input).list;
    const items = list ? options(list) : [];
    const active = list ? list.querySelector(".is-active") : null;
    const index = items.indexOf(active);
    if (evt.key === "ArrowDown" || evt.key === "ArrowUp") {
      if (!items.length) return;
      evt.preventDefault();
      const step = evt.key === "ArrowDown" ? 1 : -1;
      highlight(input, items[(index + step + items.length) % items.length]);
    } else if (evt.key === "Enter" && input.getAttribute("aria-expanded") === "true") {
      evt.preventDefault(); // choosing an option must not submit the form
      if (active) pick(input, active);
      else if (items.length === 1) pick(input, items[0]);
    } else if (evt.key === "Escape" && input.getAttribute("aria-expanded") === "true") {
      evt.preventDefault();
      evt.stopPropagation();
      setOpen(input, false);
    }
  });

  // Typing after a pick invalidates it: the hidden id only holds a chosen row.
  document.addEventListener("input", (evt) => {
    const input = evt.target;
    if (!(input instanceof HTMLInputElement) || input.getAttribute("role") !== "combobox") return;
    const hidden = parts(input).hidden;
    if (hidden && hidden.value) {
      hidden.value = "";
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  // mousedown (not click) so the input's blur does not close the list first.
  document.addEventListener("mousedown", (evt) => {
    const option = evt.target.closest ? evt.target.closest('.typeahead-list [role="option"]') : null;
    if (!option || option.getAttribute("aria-disabled") === "true") return;
    evt.preventDefault();
    const input = document.querySelector('[aria-controls="' + option.parentElement.id + '"]');
    if (input) pick(input, option);
  });

  document.addEventListener("focusout", (evt) => {
    const input = evt.target;
    if (!(input instanceof HTMLInputElement) || input.getAttribute("role") !== "combobox") return;
    setTimeout(() => { if (document.activeElement !== input) setOpen(input, false); }, 150);
  });

  // After a rejected save (422/409) put the keyboard on the first field that needs attention.
  function focusFirstError() {
    const bad = document.querySelector('#lead-form [aria-invalid="true"]');
    if (bad) bad.focus();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusFirstError);
  else focusFirstError();
  document.addEventListener("htmx:afterSettle", (evt) => {
    if (evt.detail.target === document.body) focusFirstError();
  });

  document.addEventListener("htmx:afterSwap", (evt) => {
    const list = evt.detail.target;
    if (!list.classList || !list.classList.contains("typeahead-list")) return;
    const input = document.querySelector('[aria-controls="' + list.id + '"]');
    if (input) input.setAttribute("aria-expanded", list.children.length ? "true" : "false");
  });
})();
