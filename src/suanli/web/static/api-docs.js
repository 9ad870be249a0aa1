// Swagger UI over the app's own OpenAPI document; an external script file because the CSP allows
// scripts from this origin only. No validator badge (it would call validator.swagger.io).
(function () {
  "use strict";
  const el = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: el.dataset.spec, dom_id: "#swagger-ui", deepLinking: true, validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis], layout: "BaseLayout",
    onComplete: function () { el.dataset.ready = "1"; }
  });
})();
