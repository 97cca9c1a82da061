/* Full-text search (Pagefind): the index lives in pagefind/, beside these pages, and is
 * searched in the browser. Browsers do not run it from a file opened on disk, so readers
 * there are told where search works instead. */
window.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("search");
  if (!box) return;
  if (location.protocol === "file:") {
    box.innerHTML = '<p class="search-offline">Search works in the online edition of the report.</p>';
    return;
  }
  var base = new URL(".", location.href).pathname;
  new PagefindUI({
    element: "#search", bundlePath: base + "pagefind/", baseUrl: base,
    showImages: false, showSubResults: true, resetStyles: false,
    translations: { placeholder: "Search the report" }
  });
});
