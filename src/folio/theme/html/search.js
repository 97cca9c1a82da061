/* Full-text search (Pagefind): the index lives in pagefind/, beside these pages, and is
 * searched in the browser. Browsers do not run it from file://, so say how to serve the site. */
window.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("search");
  if (!box) return;
  if (location.protocol === "file:") {
    box.innerHTML = '<p class="search-offline">Search works when the site is served, for example with <code>python3 -m http.server -d build/html</code>.</p>';
    return;
  }
  var base = new URL(".", location.href).pathname;
  new PagefindUI({
    element: "#search", bundlePath: base + "pagefind/", baseUrl: base,
    showImages: false, showSubResults: true, resetStyles: false,
    translations: { placeholder: "Search the report" }
  });
});
