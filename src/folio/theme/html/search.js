/* Full-text search (Pagefind): the index lives in pagefind/, beside these pages, and is
 * searched in the browser. Its script and stylesheet (135 KB) load only when a reader
 * starts a search, so a first visit does not pay for them. Browsers do not run it from a
 * file opened on disk: readers there are told where search works instead. */
window.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("search");
  if (!box) return;
  if (location.protocol === "file:") {
    box.innerHTML = '<p class="search-offline">Search works in the online edition of the report.</p>';
    return;
  }
  var base = new URL(".", location.href).pathname;
  var stub = document.createElement("input");
  stub.type = "search";
  stub.className = "search-stub";
  stub.placeholder = "Search the report";
  stub.setAttribute("aria-label", "Search the report");
  box.appendChild(stub);
  var started = false;
  function start() {
    if (started) return;
    started = true;
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = base + "pagefind/pagefind-ui.css";
    document.head.insertBefore(css, document.head.querySelector("link[rel=stylesheet]"));
    var script = document.createElement("script");
    script.src = base + "pagefind/pagefind-ui.js";
    script.onload = function () {
      var typed = stub.value;
      stub.remove();
      var ui = new PagefindUI({
        element: "#search", bundlePath: base + "pagefind/", baseUrl: base,
        showImages: false, showSubResults: true, resetStyles: false,
        translations: { placeholder: "Search the report" },
        // A hit on a page's own heading repeats the page's title ("Key Messages ↳ Key Messages").
        processResult: function (result) {
          result.sub_results = (result.sub_results || []).filter(function (sub) {
            return sub.title !== result.meta.title;
          });
          return result;
        }
      });
      var input = box.querySelector("input");
      if (input) input.focus();
      if (typed) ui.triggerSearch(typed);
    };
    document.head.appendChild(script);
  }
  stub.addEventListener("focus", start);
  stub.addEventListener("input", start);
});
