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

  document.addEventListener("htmx:sendError", () => {
    showToast("Could not reach the server. Check your connection and try again.", "error");
  });
})();
