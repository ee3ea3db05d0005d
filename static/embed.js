/*! leadapp embed: <script src="https://APP/static/embed.js" data-leadapp-form="KEY" async></script>
 * Inserts the form's iframe after this script tag, resizes it to its content and passes the host
 * page's first- and last-touch attribution, kept in this site's own (first-party) localStorage. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.getAttribute("data-leadapp-form")) return;
  var key = script.getAttribute("data-leadapp-form");
  var appOrigin = new URL(script.src, location.href).origin;
  var STORE = "leadapp_attribution";
  var PARAMS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid"];

  function currentTouch() {
    var query = new URLSearchParams(location.search);
    var touch = { referrer: document.referrer || "", landing_page: location.href, at: new Date().toISOString() };
    var tagged = false;
    PARAMS.forEach(function (name) {
      var value = query.get(name);
      if (value) { touch[name] = value.slice(0, 300); tagged = true; }
    });
    var external = false;
    try { external = !!document.referrer && new URL(document.referrer).host !== location.host; } catch (e) { external = false; }
    return { touch: touch, counts: tagged || external };
  }

  function attribution() {
    var saved = {};
    try { saved = JSON.parse(localStorage.getItem(STORE) || "{}") || {}; } catch (e) { saved = {}; }
    var now = currentTouch();
    if (!saved.first) saved.first = now.touch;
    // Last touch: the latest visit that came from a campaign or another site; direct visits keep it.
    if (now.counts || !saved.last) saved.last = now.touch;
    try { localStorage.setItem(STORE, JSON.stringify(saved)); } catch (e) { /* storage blocked: use this visit */ }
    return saved;
  }

  var touches = attribution();
  var params = new URLSearchParams({
    host: location.href.split("#")[0], origin: location.origin,
    ft: JSON.stringify(touches.first || {}), lt: JSON.stringify(touches.last || {})
  });
  if (script.getAttribute("data-leadapp-preview")) params.set("preview", "1");

  var frame = document.createElement("iframe");
  frame.src = appOrigin + "/f/" + encodeURIComponent(key) + "?" + params.toString();
  frame.title = script.getAttribute("data-leadapp-title") || "Contact form";
  frame.setAttribute("loading", "lazy");
  frame.className = "leadapp-form-frame";
  frame.style.width = "100%";
  frame.style.border = "0";
  frame.style.height = "520px";
  frame.style.display = "block";
  script.parentNode.insertBefore(frame, script.nextSibling);

  window.addEventListener("message", function (event) {
    // Only our app, and only this script's own iframe, may resize it or send the visitor on.
    if (event.origin !== appOrigin || event.source !== frame.contentWindow) return;
    var data = event.data || {};
    if (data.key !== key) return;
    if (data.type === "leadapp:height" && typeof data.height === "number") {
      frame.style.height = Math.max(120, Math.min(Math.ceil(data.height), 6000)) + "px";
    } else if (data.type === "leadapp:redirect" && /^https?:\/\//i.test(String(data.url))) {
      window.location.href = data.url;
    }
  });
})();
