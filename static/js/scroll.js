// A table's scrolling box (.dmc-scroll) takes the keyboard focus only when it really scrolls, so
// that its arrow keys move it (WCAG 2.1.1); a table that fits leaves no empty tab stop. The box is
// named after its table's caption or heading, and checked again when the window changes size.
(() => {
  const label = (box) => {
    const table = box.querySelector("table");
    const caption = table && table.caption;
    if (caption) return caption.textContent.trim();
    let before = box.previousElementSibling;
    while (before && !/^H[1-6]$/.test(before.tagName)) before = before.previousElementSibling;
    return before ? before.textContent.trim() : document.title;
  };
  const update = () => {
    for (const box of document.querySelectorAll(".dmc-scroll")) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label")) box.setAttribute("aria-label", label(box));
      } else {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }
  };
  let pending = 0;
  const later = () => { cancelAnimationFrame(pending); pending = requestAnimationFrame(update); };
  document.addEventListener("DOMContentLoaded", update);
  window.addEventListener("resize", later);
  // htmx swaps tables in (the dashboards, the upload progress): check the new ones too.
  document.addEventListener("htmx:afterSettle", later);
})();
