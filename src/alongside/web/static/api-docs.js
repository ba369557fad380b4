// Starts Swagger UI on /api/docs (web/api_docs.py). A file, not an inline script, so the page
// keeps the CSP's script-src 'self'. No validator badge: it would load an image from elsewhere.
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    validatorUrl: null,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
