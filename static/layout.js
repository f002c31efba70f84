/* Folding menus for narrow screens: the top-bar navigation and the tracker's folder drawer.
   A button with data-toggle flips its aria-expanded; CSS hides the element after it while false.
   Marking <html class="js"> first lets the CSS keep everything open when scripts do not run. */
document.documentElement.classList.add("js");
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-toggle]");
  if (!button) return;
  var open = button.getAttribute("aria-expanded") === "true";
  button.setAttribute("aria-expanded", open ? "false" : "true");
});
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") return;
  var button = document.querySelector("[data-toggle][aria-expanded=true]");
  if (button && button.nextElementSibling && button.nextElementSibling.contains(document.activeElement)) {
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }
});
