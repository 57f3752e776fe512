// The follow-up queue's report page (/animation/suivi/<id>): the « Doublon de » field is shown
// only when the chosen progress is « Doublon » (without JavaScript it is always shown).

const progress = document.getElementById("u-progress");
const duplicateField = document.getElementById("u-duplicate-field");
const duplicateInput = document.getElementById("u-duplicate");

function syncDuplicate() {
  const isDuplicate = progress.value === "duplicate";
  duplicateField.hidden = !isDuplicate;
  duplicateInput.required = isDuplicate;
}

if (progress && duplicateField && duplicateInput) {
  progress.addEventListener("change", syncDuplicate);
  syncDuplicate();
}
