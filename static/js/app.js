// Small glue for htmx: toasts for server messages and for failed requests.
(function () {
  "use strict";

  function showToast(message, level) {
    const box = document.getElementById("toasts");
    if (!box || !message) return;
    const toast = document.createElement("div");
    toast.className = "toast toast-" + (level || "info");
    toast.setAttribute("role", level === "error" ? "alert" : "status");
    toast.textContent = message;
    box.appendChild(toast);
    setTimeout(() => toast.remove(), 6000);
  }
  window.leadapp = { showToast };

  document.addEventListener("toast", (evt) => {
    const detail = evt.detail || {};
    showToast(detail.message || detail.value, detail.level);
  });

  // A 4xx/5xx that carried its own HX-Trigger toast is explained already.
  document.addEventListener("htmx:responseError", (evt) => {
    const xhr = evt.detail.xhr;
    if (xhr && xhr.getResponseHeader("HX-Trigger")) return;
    showToast("The server could not complete that request (" + (xhr ? xhr.status : "?") + "). Please try again.", "error");
  });

  // A form swapped in by htmx is wired up a moment after the swap. Enter pressed in that moment
  // would submit it natively (a lost edit or a stray GET); hand it to htmx instead.
  document.addEventListener("submit", (evt) => {
    const form = evt.target;
    if (!window.htmx || !form.matches("[hx-post],[hx-put],[hx-patch],[hx-delete],[hx-get]")) return;
    const data = form["htmx-internal-data"];
    if (data && data.initHash) return;
    evt.preventDefault();
    htmx.process(form);
    htmx.trigger(form, "submit");
  }, true);

  // The same moment swallows a click on a swapped-in htmx button (Escape → Cancel, a quick
  // double action): the button has no listener yet. Wire it, then let the click happen again.
  const HX_VERBS = "[hx-get],[hx-post],[hx-put],[hx-patch],[hx-delete]";
  document.addEventListener("click", (evt) => {
    if (!window.htmx || !evt.target.closest) return;
    const el = evt.target.closest(HX_VERBS);
    if (!el || el.tagName === "FORM" || el.dataset.leadappRewired) return;
    const data = el["htmx-internal-data"];
    if (data && data.initHash) return;
    evt.preventDefault();
    evt.stopPropagation();
    htmx.process(el);
    el.dataset.leadappRewired = "1";  // one retry only, even if htmx declines the element
    // A click() nested in a click() of the same element is ignored by the browser: click after this one.
    setTimeout(() => el.click(), 0);
  }, true);

  document.addEventListener("htmx:sendError", () => {
    showToast("Could not reach the server. Check your connection and try again.", "error");
  });
})();
