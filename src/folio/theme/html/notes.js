/* Notes that open in place: a note reference shows its note in a popover beside it, with the
 * keyboard as with the mouse (Enter opens, Escape or a click elsewhere closes, and focus goes
 * back to the reference). Without JavaScript or the Popover API the link still jumps to the
 * note at the end of the page. */
window.addEventListener("DOMContentLoaded", function () {
  if (!HTMLElement.prototype.hasOwnProperty("popover")) return;
  var pop = document.createElement("div"), from = null;
  pop.id = "note-popover";
  pop.className = "note-popover";
  pop.setAttribute("popover", "auto");
  pop.setAttribute("role", "note");
  pop.tabIndex = -1;
  document.body.appendChild(pop);
  pop.addEventListener("toggle", function (event) {
    if (event.newState === "closed" && from) { from.focus(); from = null; }
  });
  document.addEventListener("click", function (event) {
    var ref = event.target.closest && event.target.closest("a.footnote-ref");
    if (!ref) return;
    var note = document.getElementById(decodeURIComponent(ref.hash.slice(1)));
    if (!note) return;
    event.preventDefault();
    var copy = note.cloneNode(true);
    copy.removeAttribute("id");
    copy.querySelectorAll("[id]").forEach(function (el) { el.removeAttribute("id"); });
    copy.querySelectorAll(".footnote-back").forEach(function (el) { el.remove(); });
    pop.replaceChildren.apply(pop, Array.prototype.slice.call(copy.childNodes));
    var label = document.createElement("a");
    label.href = ref.hash;
    label.className = "note-popover-all";
    label.textContent = "Go to the note";
    label.addEventListener("click", function () { pop.hidePopover(); from = null; });
    pop.appendChild(label);
    var box = ref.getBoundingClientRect(), width = Math.min(352, window.innerWidth - 16);
    pop.style.width = width + "px";
    pop.style.left = Math.max(8, Math.min(box.left, window.innerWidth - width - 8)) + "px";
    pop.style.top = (box.bottom + 6) + "px";
    from = ref;
    pop.showPopover();
    pop.focus();
  });
});
