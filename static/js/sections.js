/* A long page of sections (the project page) on a phone: each section's heading becomes a
 * button that shows or hides the section (the disclosure pattern: a <button aria-expanded>
 * inside the <h2>, so the heading stays a heading). Sections start folded on a phone, except
 * those marked data-section-open and the one the address points at (#dien-bien from a
 * notice); a link to a folded section opens it. Wider screens keep every section open.
 * Sections that htmx brings in (a section redrawn after an action) are folded the same way,
 * and one the reader had opened comes back open. */
(function () {
  "use strict";

  var PHONE = window.matchMedia("(max-width: 767.98px)");
  // Ids of the sections the reader opened or closed, so a redrawn section keeps its state.
  var chosen = {};

  function setOpen(section, open) {
    var button = section.querySelector("[data-section-toggle]");
    if (!button) return;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    section.classList.toggle("section-folded", !open);
    if (section.id) chosen[section.id] = open;
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
    var open = section.id && section.id in chosen ? chosen[section.id] : targeted || section.hasAttribute("data-section-open");
    setOpen(section, open);
  }

  function foldWithin(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches("[data-section]")) fold(root);
    root.querySelectorAll("[data-section]").forEach(fold);
  }

  function openTarget() {
    if (!location.hash) return;
    var target = document.getElementById(location.hash.slice(1));
    var section = target && target.closest("[data-section]");
    if (section) setOpen(section, true);
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!PHONE.matches) return;
    foldWithin(document.body);
    window.addEventListener("hashchange", openTarget);
  });
  // htmx:load is htmx.onLoad's event: it fires on every element htmx swaps in.
  document.addEventListener("htmx:load", function (event) {
    if (PHONE.matches) foldWithin(event.target);
  });
})();
