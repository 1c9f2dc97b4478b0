/* A calendar button next to every date field (khuyencong/forms.py DateInput marks them with
 * data-date-picker="<the button's accessible name>"). The field stays a text input that takes
 * dd/mm/yyyy or ddmmyyyy from the numeric keypad; the button opens the browser's own date
 * picker (a hidden <input type="date">) and copies the chosen day back as dd/mm/yyyy. Where
 * the browser cannot open a picker from a button, the date input is shown next to the field.
 * Fields that htmx swaps in get their button too (htmx:load). */
(function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // dd/mm/yyyy (or ddmmyyyy, d.m.yy …) to yyyy-mm-dd for the picker; "" when unreadable.
  function toIso(text) {
    var m = /^\s*(\d{1,2})\D+(\d{1,2})\D+(\d{2}|\d{4})\s*$/.exec(text) ||
            /^\s*(\d{2})(\d{2})(\d{4})\s*$/.exec(text);
    if (!m) return "";
    var year = m[3].length === 2 ? 2000 + parseInt(m[3], 10) : parseInt(m[3], 10);
    return year + "-" + pad(parseInt(m[2], 10)) + "-" + pad(parseInt(m[1], 10));
  }

  function enhance(field) {
    if (field.dataset.datePickerReady) return;
    field.dataset.datePickerReady = "1";
    var native = document.createElement("input");
    native.type = "date";
    native.className = "form-control date-picker-native";
    native.tabIndex = -1;
    native.setAttribute("aria-hidden", "true");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-outline-secondary date-picker-button";
    button.setAttribute("aria-label", field.getAttribute("data-date-picker"));
    button.title = field.getAttribute("data-date-picker");
    button.innerHTML = '<i class="bi bi-calendar3" aria-hidden="true"></i>';
    if (field.disabled) button.disabled = true;
    field.insertAdjacentElement("afterend", button);
    button.insertAdjacentElement("afterend", native);

    button.addEventListener("click", function () {
      native.value = toIso(field.value);
      if (typeof native.showPicker === "function") {
        try { native.showPicker(); return; } catch (e) { /* not allowed here: show it */ }
      }
      native.classList.toggle("date-picker-shown");
      native.removeAttribute("aria-hidden");
      native.tabIndex = 0;
      native.focus();
    });
    native.addEventListener("change", function () {
      var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(native.value);
      if (!m) return;
      field.value = m[3] + "/" + m[2] + "/" + m[1];
      field.dispatchEvent(new Event("input", { bubbles: true }));
      field.dispatchEvent(new Event("change", { bubbles: true }));
      native.classList.remove("date-picker-shown");
      field.focus();
    });
  }

  function enhanceAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("input[data-date-picker]")) enhance(scope);
    scope.querySelectorAll("input[data-date-picker]").forEach(enhance);
  }

  enhanceAll(document);
  document.addEventListener("htmx:load", function (event) { enhanceAll(event.target); });
})();
