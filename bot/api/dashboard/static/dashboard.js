// The dashboard's one script (served by the app itself): sortable tables and the copy button.
// Pages work without it; it only adds conveniences.
"use strict";

function cellValue(row, index, numeric) {
  const cell = row.cells[index];
  const raw = cell ? (cell.dataset.value ?? cell.textContent.trim()) : "";
  if (!numeric) return raw.toLocaleLowerCase();
  const number = parseFloat(raw);
  return Number.isNaN(number) ? null : number;
}

function sortBy(table, header) {
  const index = Array.from(header.parentNode.children).indexOf(header);
  const numeric = header.dataset.sort === "number";
  const ascending = header.getAttribute("aria-sort") !== "ascending";
  for (const other of header.parentNode.children) other.removeAttribute("aria-sort");
  header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  const body = table.tBodies[0];
  const rows = Array.from(body.rows).filter((row) => row.cells.length > 1);
  rows.sort((a, b) => {
    const x = cellValue(a, index, numeric);
    const y = cellValue(b, index, numeric);
    // Unknown values (the dash) go last whichever way the column is sorted.
    if (x === null || x === "") return (y === null || y === "") ? 0 : 1;
    if (y === null || y === "") return -1;
    const order = x < y ? -1 : x > y ? 1 : 0;
    return ascending ? order : -order;
  });
  for (const row of rows) body.appendChild(row);
}

document.addEventListener("DOMContentLoaded", () => {
  for (const table of document.querySelectorAll("table[data-sortable]")) {
    for (const header of table.querySelectorAll("th[data-sort]")) {
      header.tabIndex = 0;
      header.addEventListener("click", () => sortBy(table, header));
      header.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(table, header); }
      });
    }
  }
  for (const button of document.querySelectorAll("button[data-copy]")) {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      source.select();
      try {
        await navigator.clipboard.writeText(source.value);
      } catch (error) {
        document.execCommand("copy");
      }
      button.textContent = "Copied";
    });
  }
});
