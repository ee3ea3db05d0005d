// Click-to-edit on the lead page: Enter/blur saves, Escape cancels, focus follows the swap.
(function () {
  "use strict";
  // Loaded from the page body, so again on every boosted visit: register the listeners once.
  if (window.leadappLeadPage) return;
  window.leadappLeadPage = true;

  function inlineForm(el) {
    return el && el.closest ? el.closest(".js-inline-form, .js-cancelable") : null;
  }

  function cancel(form) {
    const button = form.querySelector(".js-inline-cancel");
    if (button) button.click();
  }

  document.addEventListener("keydown", (evt) => {
    const form = inlineForm(evt.target);
    if (!form) return;
    if (evt.key === "Escape") {
      evt.preventDefault();
      form.dataset.cancelled = "1";
      cancel(form);
    } else if (evt.key === "Enter" && evt.target.tagName === "SELECT") {
      evt.preventDefault();
      form.requestSubmit();
    } else if (evt.key === "Enter" && evt.target.tagName === "TEXTAREA" && (evt.ctrlKey || evt.metaKey)) {
      evt.preventDefault();
      form.requestSubmit();
    }
  });

  // Leaving an inline field saves it, unless focus moved to its own buttons or it was cancelled.
  document.addEventListener("focusout", (evt) => {
    const form = evt.target.closest ? evt.target.closest(".js-inline-form") : null;
    if (!form || !evt.target.classList.contains("js-inline-input")) return;
    if (evt.relatedTarget && form.contains(evt.relatedTarget)) return;
    setTimeout(() => {
      if (!form.isConnected || form.dataset.cancelled || form.dataset.sent) return;
      if (form.contains(document.activeElement)) return;
      form.dataset.sent = "1";
      form.requestSubmit();
    }, 120);
  });

  document.addEventListener("htmx:beforeRequest", (evt) => {
    const form = evt.detail.elt;
    if (form.classList && form.classList.contains("js-inline-form")) form.dataset.sent = "1";
  });

  document.addEventListener("htmx:afterSwap", (evt) => {
    const id = evt.detail.target && evt.detail.target.id;
    if (!id) return;
    const fresh = document.getElementById(id);
    if (!fresh) return;
    const input = fresh.querySelector(".js-inline-input, .js-autofocus");
    if (input && inlineForm(input)) {
      input.focus();
      if (input.select && input.type !== "date" && input.tagName !== "SELECT") input.select();
      return;
    }
    // Back to display mode: return focus to the field's button so the keyboard path continues.
    const opener = fresh.querySelector(".js-inline-open");
    if (opener && fresh.classList.contains("inline-field")) opener.focus();
  });
})();
