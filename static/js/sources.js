// Lead sources, campaigns and API tokens: bulk selection, confirmations with counts, CSV export,
// Escape to cancel in-place edits, the merge panel and copying a new token.
(function () {
  "use strict";
  // Boosted navigation runs this script again on every visit; the listeners are document-wide.
  if (window.sourcesScriptLoaded) return;
  window.sourcesScriptLoaded = true;

  function checked() {
    return Array.from(document.querySelectorAll(".js-src-row-check:checked"));
  }

  function updateCount() {
    const label = document.querySelector(".js-src-bulk-count");
    if (!label) return;
    const count = checked().length;
    label.textContent = count ? count + " source" + (count === 1 ? "" : "s") + " ticked" : "No sources ticked";
    const all = document.querySelector(".js-src-check-all");
    const boxes = document.querySelectorAll(".js-src-row-check");
    if (all) all.checked = boxes.length > 0 && count === boxes.length;
  }

  document.addEventListener("change", (evt) => {
    if (evt.target.matches(".js-src-check-all")) {
      document.querySelectorAll(".js-src-row-check").forEach((box) => { box.checked = evt.target.checked; });
    }
    if (evt.target.matches(".js-src-check-all, .js-src-row-check")) updateCount();
  });
  document.addEventListener("htmx:afterSettle", updateCount);

  // Bulk actions confirm with the number of ticked rows before the request is sent.
  document.addEventListener("htmx:confirm", (evt) => {
    const form = evt.detail.elt;
    if (!form || form.id !== "src-bulk-form") return;
    const submitter = evt.detail.triggeringEvent && evt.detail.triggeringEvent.submitter;
    const label = submitter ? submitter.dataset.label : "Apply to";
    const count = checked().length;
    evt.preventDefault();
    if (!count) {
      window.leadapp.showToast("Tick at least one source first.", "error");
      return;
    }
    let question = label + " " + count + " source" + (count === 1 ? "" : "s") + "?";
    if (submitter && submitter.value === "merge") {
      const target = form.querySelector("[name=target_id]");
      const name = target && target.selectedIndex > 0 ? target.options[target.selectedIndex].text : "";
      if (!name) {
        window.leadapp.showToast("Pick the source to merge into.", "error");
        if (target) target.focus();
        return;
      }
      question = "Merge " + count + " source" + (count === 1 ? "" : "s") + " into “" + name + "”? Their leads move and they are deleted.";
    }
    if (window.confirm(question)) evt.detail.issueRequest(true);
  });

  function csrfToken() {
    const page = document.getElementById("page");
    try { return JSON.parse(page.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  // A file download cannot go through htmx: post a plain form with the ticked ids.
  document.addEventListener("click", (evt) => {
    const exportButton = evt.target.closest(".js-export");
    if (exportButton) {
      const bulk = document.getElementById("src-bulk-form");
      const form = document.createElement("form");
      form.method = "post";
      form.action = bulk.dataset.exportUrl;
      form.hidden = true;
      const fields = [["csrf_token", csrfToken()]].concat(checked().map((box) => ["source_ids", box.value]));
      fields.forEach(([name, value]) => {
        const input = document.createElement("input");
        input.type = "hidden"; input.name = name; input.value = value;
        form.appendChild(input);
      });
      document.body.appendChild(form);
      form.submit();
      form.remove();
      return;
    }
    if (evt.target.closest(".js-close-dialog")) {
      const slot = evt.target.closest(".src-dialog-slot");
      if (slot) slot.innerHTML = "";
      return;
    }
    const copy = evt.target.closest(".js-copy");
    if (copy) {
      const input = document.getElementById(copy.dataset.copyTarget);
      input.select();
      if (navigator.clipboard) {
        navigator.clipboard.writeText(input.value).then(() => window.leadapp.showToast("Token copied.", "success"));
      }
    }
  });

  // Escape leaves an in-place edit without saving.
  document.addEventListener("keydown", (evt) => {
    if (evt.key !== "Escape") return;
    const form = evt.target.closest && evt.target.closest(".js-inline-form");
    if (form) {
      evt.preventDefault();
      form.querySelector(".js-cancel").click();
    }
  });

  // Put the keyboard where the new content is: the in-place form's input, back on the Edit
  // button after saving or cancelling, and the merge panel's select.
  document.addEventListener("htmx:afterSettle", (evt) => {
    const target = evt.detail.target;
    if (!target) return;
    const current = target.id ? document.getElementById(target.id) : target;
    if (!current) return;
    if (current.matches(".js-inline-form")) {
      const input = current.querySelector("input:not([type=hidden]), textarea, select");
      if (input) { input.focus(); if (input.select) input.select(); }
    } else if (current.matches(".src-inline-field")) {
      const edit = current.querySelector(".src-inline-edit");
      if (edit) edit.focus();
    } else if (current.matches(".src-dialog-slot")) {
      const select = current.querySelector("select");
      if (select) select.focus();
    }
  });
})();
