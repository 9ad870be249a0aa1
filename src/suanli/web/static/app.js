// Suanli UI behaviour, no framework: the job form's live quote, and Plotly charts from data-figure.
(function () {
  "use strict";
  function debounce(fn, ms) { let t; return function () { clearTimeout(t); t = setTimeout(fn, ms); }; }

  const form = document.getElementById("job-form");
  const target = document.getElementById("quote");
  if (form && target) {
    let seq = 0;
    const refresh = debounce(function () {
      const params = new URLSearchParams();
      form.querySelectorAll("[data-quote]").forEach(function (el) {
        if (el.type === "checkbox") { if (el.checked) params.append(el.name, el.value); }
        else params.append(el.name, el.value);
      });
      const mine = ++seq;
      fetch(target.dataset.src + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) { if (mine === seq) { target.innerHTML = html; target.dataset.ready = String(mine); } });
    }, 250);
    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
    refresh();
  }

  // A posted form is sent once: a second click while the first is on its way does nothing (the
  // server's one-time form key is the guarantee; this only spares the round trip).
  document.querySelectorAll("form[method=post]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (f.dataset.sent) { e.preventDefault(); return; }
      f.dataset.sent = "1";
    });
  });

  // A job's page follows the job live: state and log tails refresh every two seconds until it ends.
  const live = document.querySelector("[data-live]");
  if (live && !live.dataset.final) {
    const poll = function () {
      fetch(live.dataset.live, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (!body) { setTimeout(poll, 5000); return; }  // busy (503) or signed out: ask again later
          live.textContent = body.state_text;
          live.className = "state s-" + body.state;
          document.querySelectorAll("[data-stream]").forEach(function (el) { el.textContent = body[el.dataset.stream]; });
          if (body.final) {
            live.dataset.final = "1";
            const cancel = document.querySelector("form[action$='/cancel']");
            if (cancel) { cancel.remove(); }
          } else { setTimeout(poll, 2000); }
        })
        .catch(function () { setTimeout(poll, 5000); });
    };
    setTimeout(poll, 1000);
  }

  // Cancelling a job asks first.
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) { if (!window.confirm(f.dataset.confirm)) { e.preventDefault(); delete f.dataset.sent; } });
  });

  if (window.Plotly) {
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      const fig = JSON.parse(el.dataset.figure);
      const layout = Object.assign({ margin: { t: 40, r: 20, b: 60, l: 60 }, font: { size: 13 } }, fig.layout || {});
      // The page's language: Chinese month names and mode bar (static/plotly-locale-zh-cn.js) on a zh page.
      const locale = document.documentElement.lang === "zh-CN" ? "zh-CN" : "en";
      window.Plotly.newPlot(el, fig.data, layout, { responsive: true, displaylogo: false, locale: locale });
      el.dataset.rendered = "1";
    });
  }
})();
