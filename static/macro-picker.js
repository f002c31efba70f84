// The composer's macro picker: put the chosen macro's text into the message box and remember
// which macro it was (a hidden input the form posts), so its actions apply on "Send". A file,
// not an inline script (the CSP allows scripts from 'self' only); listeners on the document, so
// the result lists htmx swaps in work too. Keyboard: ↓ from the search box into the list,
// ↑/↓ through it, Enter picks (a plain button), Esc closes the list.
(function () {
  "use strict";

  function picker(el) { return el.closest("[data-macro-picker]"); }
  function options(root) { return Array.prototype.slice.call(root.querySelectorAll(".macro-option")); }

  function insert(box, text) {
    if (!box.value.trim()) {
      box.value = text;
    } else {
      var start = box.selectionStart, end = box.selectionEnd;
      var before = box.value.slice(0, start), after = box.value.slice(end);
      var gap = before && !/\n$/.test(before) ? "\n\n" : "";
      box.value = before + gap + text + after;
      end = (before + gap + text).length;
      box.setSelectionRange(end, end);
    }
    box.focus();
    // Let htmx listeners (typing presence, article suggestions) see the change as typing.
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function choose(button) {
    var root = picker(button);
    var form = button.closest("form");
    var box = form && form.querySelector("textarea[name=body]");
    if (!root || !box) return;
    root.querySelector("[data-macro-id]").value = button.getAttribute("data-macro-pick");
    var status = button.getAttribute("data-macro-status");
    var then = form.querySelector("select[name=then]");  // "Send and ..." when the page has it
    if (then) {
      // Remember the agent's own choice (not one an earlier macro made) for "Don't apply".
      if (then.value !== then.dataset.macroStatus) then.dataset.beforeMacro = then.value;
      if (status && then.querySelector('option[value="' + status + '"]')) then.value = status;
      then.dataset.macroStatus = then.value;
    }
    var chosen = root.querySelector("[data-macro-chosen]");
    chosen.querySelector("[data-macro-chosen-name]").textContent = button.getAttribute("data-macro-name");
    var effects = button.getAttribute("data-macro-effects");
    chosen.querySelector("[data-macro-chosen-effects]").textContent = effects ? " — on send: " + effects + "." : ".";
    chosen.hidden = false;
    root.querySelector("#macro-results").innerHTML = "";
    root.querySelector("[data-macro-search]").value = "";
    insert(box, button.getAttribute("data-macro-text"));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-macro-pick]");
    if (button) { choose(button); return; }
    var clear = event.target.closest("[data-macro-clear]");
    if (clear) {
      var root = picker(clear);
      root.querySelector("[data-macro-id]").value = "";
      root.querySelector("[data-macro-chosen]").hidden = true;
      var then = clear.closest("form").querySelector("select[name=then]");
      if (then && "beforeMacro" in then.dataset) {  // the status the agent had before
        then.value = then.dataset.beforeMacro;
        delete then.dataset.beforeMacro;
        delete then.dataset.macroStatus;
      }
    }
  });

  document.addEventListener("keydown", function (event) {
    var root = event.target.closest && picker(event.target);
    if (!root) return;
    var list = options(root);
    var search = root.querySelector("[data-macro-search]");
    var at = list.indexOf(event.target);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!list.length) { search.dispatchEvent(new Event("macros-reload")); return; }
      var step = event.key === "ArrowDown" ? 1 : -1;
      var next = at === -1 ? (step > 0 ? 0 : list.length - 1) : at + step;
      if (next < 0) { search.focus(); return; }
      list[Math.min(next, list.length - 1)].focus();
    } else if (event.key === "Enter" && event.target === search) {
      event.preventDefault();  // never send the reply from the search box
      if (list.length) choose(list[0]);
    } else if (event.key === "Escape") {
      // Close the list; from an option go back to the search box. In the search box itself
      // Esc also leaves the field, as everywhere (static/shortcuts.js).
      root.querySelector("#macro-results").innerHTML = "";
      if (at !== -1) {
        event.preventDefault();  // handled: the shortcuts must not now leave the search box
        search.focus();
      }
    }
  });
})();
