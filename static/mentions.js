// @mentions in the composer: after "@", a list of colleagues to choose from (arrow keys,
// Enter or Tab, or a click); the note then names them as @handle and notifies them.
(function () {
  "use strict";
  const area = document.querySelector("textarea[data-mentions]");
  if (!area) return;
  const people = JSON.parse(area.dataset.mentions || "[]");
  const list = document.createElement("ul");
  list.id = "mention-choices";
  list.className = "mention-choices";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Colleagues to mention");
  list.hidden = true;
  area.insertAdjacentElement("afterend", list);
  area.setAttribute("aria-controls", list.id);
  let shown = [];
  let active = 0;

  function typed() {
    const before = area.value.slice(0, area.selectionStart);
    const match = before.match(/(^|[\s(])@([\w.\-]*)$/u);
    return match ? match[2].toLowerCase() : null;
  }

  function close() {
    list.hidden = true;
    shown = [];
    area.removeAttribute("aria-activedescendant");
  }

  function render() {
    list.replaceChildren();
    shown.forEach(function (person, index) {
      const item = document.createElement("li");
      item.id = "mention-" + index;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", index === active ? "true" : "false");
      item.textContent = person.name + " (@" + person.handle + ")";
      item.addEventListener("mousedown", function (event) {
        event.preventDefault();
        choose(index);
      });
      list.appendChild(item);
    });
    list.hidden = shown.length === 0;
    if (shown.length) area.setAttribute("aria-activedescendant", "mention-" + active);
  }

  function choose(index) {
    const person = shown[index];
    const caret = area.selectionStart;
    const before = area.value.slice(0, caret).replace(/@[\w.\-]*$/u, "@" + person.handle + " ");
    area.value = before + area.value.slice(caret);
    area.selectionStart = area.selectionEnd = before.length;
    close();
    area.focus();
  }

  area.addEventListener("input", function () {
    const word = typed();
    if (word === null) return close();
    shown = people
      .filter(function (p) {
        return p.handle.startsWith(word) || p.name.toLowerCase().startsWith(word);
      })
      .slice(0, 8);
    active = 0;
    render();
  });

  area.addEventListener("keydown", function (event) {
    if (list.hidden) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      active = (active + (event.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
      render();
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape") {
      close();
    }
  });
  area.addEventListener("blur", close);
})();
