// Kernelwright pages: sortable tables, filters that apply on change, and pages that follow a running job.
// Loaded from this origin only (the CSP forbids inline scripts); every page works without it.
"use strict";

(function () {
  // --- sortable tables: a header button sorts by its column; the same button again reverses ---------------
  function cellValue(row, index) {
    const cell = row.cells[index];
    return cell ? (cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim()) : "";
  }

  function compare(a, b, numeric) {
    // Empty values ("-": nothing measured) always go last, whichever the direction.
    if (a === "" || b === "") return a === b ? 0 : (a === "" ? 1 : -1);
    if (numeric) {
      const x = parseFloat(a), y = parseFloat(b);
      if (!isNaN(x) && !isNaN(y)) return x - y;
    }
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function sortBy(table, th) {
    const headers = Array.from(th.parentElement.cells);
    const index = headers.indexOf(th);
    const current = th.getAttribute("aria-sort");
    const first = th.dataset.first === "desc" ? "descending" : "ascending";
    const next = current === "ascending" ? "descending" : current === "descending" ? "ascending" : first;
    const numeric = th.dataset.type === "num";
    const body = table.tBodies[0];
    const rows = Array.from(body.rows).map((row, i) => ({ row, i, value: cellValue(row, index) }));
    rows.sort((p, q) => {
      let order = compare(p.value, q.value, numeric);
      if (p.value !== "" && q.value !== "" && next === "descending") order = -order;
      return order || p.i - q.i; // stable: ties keep their current order
    });
    rows.forEach(({ row }) => body.appendChild(row));
    headers.forEach((h) => {
      if (!h.hasAttribute("aria-sort")) return;
      const arrow = h.querySelector(".arrow");
      const state = h === th ? next : "none";
      h.setAttribute("aria-sort", state);
      if (arrow) arrow.textContent = state === "ascending" ? "▲" : state === "descending" ? "▼" : "";
    });
    const status = table.closest(".table-wrap") ? table.closest(".table-wrap").nextElementSibling : null;
    if (status && status.classList.contains("sort-status")) {
      status.textContent = "Sorted by " + th.textContent.replace(/[▲▼]/g, "").trim() + ", " + next + ".";
    }
  }

  document.querySelectorAll("table.sortable").forEach((table) => {
    table.querySelectorAll("thead th[aria-sort] button").forEach((button) => {
      button.addEventListener("click", () => sortBy(table, button.closest("th")));
    });
  });

  // --- filters apply as soon as one changes (the submit button stays for pages without script) ---------------
  document.querySelectorAll("form[data-auto-submit]").forEach((form) => {
    form.addEventListener("change", () => form.requestSubmit ? form.requestSubmit() : form.submit());
  });

  // --- a page whose run is queued or running reloads when its status or its turns change -------------------
  const body = document.body;
  if (body.dataset.pollUrl) {
    const url = body.dataset.pollUrl;
    const kind = body.dataset.pollKind;
    const key = body.dataset.pollKey;
    const keyOf = (data) => kind === "job"
      ? data.status + "|" + data.progress.turns_done
      : data.status + "|" + data.trajectories.reduce((n, t) => n + t.turns.length, 0);
    const poll = () => {
      fetch(url, { headers: { accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
        .then((response) => {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then((data) => {
          if (keyOf(data) !== key) window.location.reload();
          else window.setTimeout(poll, 2000);
        })
        .catch(() => window.setTimeout(poll, 10000)); // the service may be restarting: try again, slower
    };
    window.setTimeout(poll, 2000);
  }
})();
