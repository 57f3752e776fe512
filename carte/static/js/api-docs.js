// Starts Swagger UI on /api/v1/docs from the locally served bundle (no CDN, no inline script).
// No deep links: Swagger UI puts them inside each operation's button (nested interactive elements).
/* global SwaggerUIBundle */
const root = document.getElementById("swagger-ui");
if (root && typeof SwaggerUIBundle === "function") {
  // validatorUrl: null, or Swagger UI loads a badge from validator.swagger.io (another host, refused by the CSP).
  SwaggerUIBundle({ url: root.dataset.specUrl, domNode: root, deepLinking: false, tryItOutEnabled: false, validatorUrl: null });
}
