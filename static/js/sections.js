/* A long page of sections (the project page) on a phone: each section's heading becomes a
 * button that shows or hides the section (the disclosure pattern: a <button aria-expanded>
 * inside the <h2>, so the heading stays a heading). Sections start folded on a phone, except
 * those marked data-section-open and the one the address points at (#dien-bien from a
 * notice); a link to a folded section opens it. Wider screens keep every section open. */
(function () {
  "use strict";

  var PHONE = window.matchMedia("(max-width: 767.98px)");

  function setOpen(section, open) {
    var button = section.querySelector("[data-section-toggle]");
    if (!button) return;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    section.classList.toggle("section-folded", !open);
  }

  function fold(section, index) {
    var heading = section.querySelector(":scope > h2, :scope > .card-header h2, :scope > .card-header");
    if (heading && heading.tagName !== "H2") heading = heading.querySelector("h2");
    if (!heading || section.querySelector("[data-section-toggle]")) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "section-toggle";
    button.dataset.sectionToggle = "";
    while (heading.firstChild) button.appendChild(heading.firstChild);
    // The chevron is an element hidden from screen readers: CSS generated content would be
    // read as part of the button's name.
    var chevron = document.createElement("i");
    chevron.className = "bi bi-chevron-down section-chevron";
    chevron.setAttribute("aria-hidden", "true");
    button.appendChild(chevron);
    heading.appendChild(button);
    button.addEventListener("click", function () {
      setOpen(section, button.getAttribute("aria-expanded") !== "true");
    });
    var targeted = location.hash && section.id && location.hash === "#" + section.id;
    setOpen(section, targeted || section.hasAttribute("data-section-open"));
  }

  function openTarget() {
    if (!location.hash) return;
    var target = document.getElementById(location.hash.slice(1));
    var section = target && target.closest("[data-section]");
    if (section) setOpen(section, true);
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!PHONE.matches) return;
    document.querySelectorAll("[data-section]").forEach(fold);
    window.addEventListener("hashchange", openTarget);
  });
})();
