// Each date field is typed as day/month/year of the Buddhist era; the browser's calendar beside it
// (hidden until this script runs) fills the typed field with its choice, in the same form.
document.addEventListener("DOMContentLoaded", () => {
  for (const picker of document.querySelectorAll("input.dmc-date-picker")) {
    const text = document.getElementById(picker.dataset.for);
    if (!text) continue;
    picker.hidden = false;
    picker.addEventListener("change", () => {
      const [year, month, day] = picker.value.split("-");
      if (year) text.value = `${day}/${month}/${Number(year) + 543}`;
    });
  }
});
