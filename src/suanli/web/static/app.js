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

  if (window.Plotly) {
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      const fig = JSON.parse(el.dataset.figure);
      const layout = Object.assign({ margin: { t: 40, r: 20, b: 60, l: 60 }, font: { size: 13 } }, fig.layout || {});
      window.Plotly.newPlot(el, fig.data, layout, { responsive: true, displaylogo: false });
      el.dataset.rendered = "1";
    });
  }
})();
