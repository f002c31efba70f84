// The case page's "Insert link" buttons: put a help article's link into the reply box at the
// cursor. A file, not an inline script (the CSP allows scripts from 'self' only); one listener
// on the document, so buttons htmx swaps in later work too.
(function () {
  "use strict";

  function insertAtCursor(box, text) {
    var start = box.selectionStart, end = box.selectionEnd;
    var before = box.value.slice(0, start), after = box.value.slice(end);
    var spaced = (before && !/\s$/.test(before) ? " " : "") + text +
      (after && !/^\s/.test(after) ? " " : "");
    box.value = before + spaced + after;
    var caret = before.length + spaced.length;
    box.focus();
    box.setSelectionRange(caret, caret);
    // Let htmx listeners (typing presence, suggestions) see the change as typing.
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert-link]");
    if (!button) return;
    var box = document.querySelector(button.getAttribute("data-insert-into"));
    if (box) insertAtCursor(box, button.getAttribute("data-insert-link"));
  });
})();
