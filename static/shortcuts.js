// Keyboard shortcuts, as in Gmail, Zendesk and FreeScout: ? help, j/k move through a list,
// Enter/o open, x select, r reply, n note, g + letter to a folder, / search, Esc leave a field.
// A file, not an inline script (the CSP allows scripts from 'self' only). One listener on the
// document, and the rows are found again on every key press, so lists htmx swaps in work too.
// Which keys exist for the reader and where "g" goes come from the help dialog
// (templates/_shortcuts.html: data-shortcut-keys, data-shortcut-g), never from this file.
(function () {
  "use strict";

  var ROWS = "table.list tbody tr, .results > li, .caller-list > li";
  var SELECTED = "kb-selected";
  var GO_WAIT_MS = 1500; // how long "g" waits for its letter
  var NOT_TYPING = ["checkbox", "radio", "button", "submit", "reset", "image"];

  var selected = -1; // index into the current rows; -1 while nothing is selected
  var goPending = false;
  var goTimer = null;

  function dialog() {
    return document.getElementById("shortcuts");
  }

  function enabled(key) {
    var help = dialog();
    var keys = help ? (help.getAttribute("data-shortcut-keys") || "").split(" ") : [];
    return keys.indexOf(key) !== -1;
  }

  function isTyping(element) {
    if (!element || element === document.body) return false;
    if (element.isContentEditable) return true;
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag === "INPUT") return NOT_TYPING.indexOf((element.type || "").toLowerCase()) === -1;
    return false;
  }

  function visible(element) {
    return element.getClientRects().length > 0 && !element.closest("dialog");
  }

  function rows() {
    return Array.prototype.filter.call(document.querySelectorAll(ROWS), visible);
  }

  function mainLink(row) {
    return row.querySelector("a[href]");
  }

  function currentRow(list) {
    return selected >= 0 && selected < list.length ? list[selected] : null;
  }

  // Show the selection on the row at `selected`, e.g. again after htmx replaced the list.
  function paint(list, moveFocus) {
    Array.prototype.forEach.call(document.querySelectorAll("." + SELECTED), function (row) {
      if (list.indexOf(row) !== selected) row.classList.remove(SELECTED);
    });
    var row = currentRow(list);
    if (!row) return;
    row.classList.add(SELECTED);
    if (!moveFocus) return;
    // Focus the row's main link so screen readers announce the row and Enter opens it natively.
    var target = mainLink(row);
    if (!target) {
      row.setAttribute("tabindex", "-1");
      target = row;
    }
    target.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var list = rows();
    if (!list.length) return false;
    var here = list.indexOf(document.querySelector("." + SELECTED));
    if (here === -1) here = Math.min(selected, list.length - 1);
    selected = here === -1 ? 0 : Math.max(0, Math.min(list.length - 1, here + step));
    paint(list, true);
    return true;
  }

  function open() {
    var row = currentRow(rows());
    if (!row) return false;
    var href = row.getAttribute("data-href");
    var link = mainLink(row);
    if (href) window.location.assign(href);
    else if (link) link.click(); // a click, so links that htmx drives (hx-get) behave as clicked
    else return false;
    return true;
  }

  function toggleCheckbox() {
    var row = currentRow(rows());
    var box = row && row.querySelector("input[type=checkbox]");
    if (!box || box.disabled) return false;
    box.click(); // fires change, as a mouse click would
    return true;
  }

  function compose(kind) {
    var box = document.querySelector("#composer textarea[name=body]");
    if (!box) return false;
    var within = box.form || document;
    var choice = within.querySelector('input[name=kind][value="' + kind + '"]') ||
      document.querySelector('input[name=kind][value="' + kind + '"]');
    if (choice && !choice.checked) {
      choice.checked = true;
      choice.dispatchEvent(new Event("change", { bubbles: true }));
    }
    box.focus();
    return true;
  }

  // The page's own search box (search results, caller lookup, help centre) first, else the
  // sidebar's case search, which every tracker page has.
  function focusSearch() {
    var boxes = Array.prototype.filter.call(document.querySelectorAll("input[type=search]"), visible);
    var own = boxes.filter(function (box) { return box.id !== "tracker-search"; });
    var box = own[0] || boxes[0];
    if (!box) return false;
    box.focus();
    box.select();
    return true;
  }

  // The sidebar's link first (it keeps an administrator's "everyone" view), else the dialog's.
  function goTo(letter) {
    var links = Array.prototype.slice.call(
      document.querySelectorAll('a[data-shortcut-g="' + letter + '"]')
    );
    links.sort(function (a, b) { return !!a.closest("dialog") - !!b.closest("dialog"); });
    if (!links.length) return false;
    window.location.assign(links[0].href);
    return true;
  }

  function toggleHelp() {
    var help = dialog();
    if (help.open) help.close();
    else help.showModal();
    return true;
  }

  function stopGoWait() {
    goPending = false;
    if (goTimer) window.clearTimeout(goTimer);
    goTimer = null;
  }

  function handle(key) {
    if (goPending) {
      stopGoWait();
      return /^[a-z]$/.test(key) && goTo(key);
    }
    if (key === "?") return toggleHelp();
    if (dialog().open) return false; // the modal dialog has the keyboard; Esc closes it
    if (key === "g") {
      goPending = true;
      goTimer = window.setTimeout(stopGoWait, GO_WAIT_MS);
      return true;
    }
    switch (key) {
      case "j": return move(1);
      case "k": return move(-1);
      case "Enter":
      case "o": return open();
      case "x": return toggleCheckbox();
      case "r": return compose("reply");
      case "n": return compose("note");
      case "/": return focusSearch();
      default: return false;
    }
  }

  document.addEventListener("keydown", function (event) {
    if (!dialog() || event.defaultPrevented || event.isComposing) return;
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    var active = document.activeElement;
    if (isTyping(active)) {
      if (event.key === "Escape" && !active.closest("dialog")) {
        // Only leave: a search box would also empty itself (and its live results) on Esc.
        event.preventDefault();
        active.blur();
      }
      return;
    }
    // On a link or button Enter keeps its own meaning (the focused row link opens natively).
    if (event.key === "Enter" && active && active.closest("a[href], button, summary")) return;
    var key = event.key === "Enter" ? "enter" : event.key;
    if (!enabled(key === "g" || goPending ? "g" : key)) return;
    if (handle(event.key)) event.preventDefault();
  });

  // Tests (and anyone curious) can tell the keys are live: the script is deferred, so a key
  // pressed before it ran would do nothing.
  document.documentElement.setAttribute("data-shortcuts", "ready");

  // The footer's "Keyboard shortcuts" button opens the same list, for those who don't know "?".
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-shortcuts-open]") && dialog()) toggleHelp();
  });

  // A poll or a pager swap replaces the rows: show the selection again, kept within bounds,
  // and give the focus back only if the swap took it from the selected row.
  var hadFocus = false;
  document.addEventListener("htmx:beforeSwap", function () {
    var active = document.activeElement;
    hadFocus = !!(active && active.closest("." + SELECTED));
  });
  document.addEventListener("htmx:afterSettle", function () {
    var list = rows();
    var active = document.activeElement;
    var lost = hadFocus && (!active || active === document.body);
    hadFocus = false;
    if (selected === -1 || !list.length) return;
    selected = Math.min(selected, list.length - 1);
    paint(list, lost);
  });
})();
