// Review grid: keyboard categorisation, multi-select, undo and per-item reveal.
// Loaded as a file (the CSP forbids inline scripts); every POST carries the CSRF header.
"use strict";

(() => {
  const grid = document.getElementById("grid");
  if (!grid) return;
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const caseId = grid.dataset.case;
  const scheme = grid.dataset.scheme;
  const labelHolder = document.querySelector("[data-labels]");
  const labels = labelHolder ? JSON.parse(labelHolder.dataset.labels) : {};
  const statusLine = document.getElementById("status");
  const undoStack = [];
  let anchor = null;

  const tiles = () => Array.from(grid.querySelectorAll(".tile[data-sha]"));
  const say = (text) => { if (statusLine) statusLine.textContent = text; };
  const label = (cat) => (cat === null ? "uncategorised" : `${cat} ${labels[cat] || ""}`.trim());

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
    });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    return response.json();
  }

  function showCategory(tile, cat) {
    tile.dataset.cat = cat === null ? "" : String(cat);
    const badge = tile.querySelector(".cat");
    if (badge) badge.textContent = cat === null ? "" : label(cat);
  }

  function targets() {
    const selected = tiles().filter((t) => t.classList.contains("selected"));
    if (selected.length) return selected;
    const focused = document.activeElement;
    return focused && focused.matches(".tile[data-sha]") ? [focused] : [];
  }

  async function send(media, cat, undo) {
    const stackBox = document.getElementById("stack-mode");
    const stacks = Boolean(stackBox && stackBox.checked);
    return post(`/cases/${caseId}/decisions`, { media, category: cat, scheme, undo, stacks });
  }

  async function categorise(cat) {
    if (!grid.dataset.categorise) return;
    const chosen = targets();
    if (!chosen.length) { say("Select or focus an item first."); return; }
    try {
      const result = await send(chosen.map((t) => t.dataset.sha), cat, false);
      undoStack.push(result.previous);
      tiles().forEach((t) => { if (t.dataset.sha in result.previous) showCategory(t, cat); });
      const count = Object.keys(result.previous).length;
      say(`${count} item(s) set to ${label(cat)}. Press u to undo.`);
    } catch (error) {
      say(`Not saved: ${error.message}`);
    }
  }

  async function undo() {
    const previous = undoStack.pop();
    if (!previous) { say("Nothing to undo."); return; }
    const groups = new Map();
    Object.entries(previous).forEach(([sha, cat]) => {
      const key = cat === null ? "null" : String(cat);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(sha);
    });
    try {
      for (const [key, media] of groups) {
        const cat = key === "null" ? null : Number(key);
        await send(media, cat, true);
        tiles().forEach((t) => { if (media.includes(t.dataset.sha)) showCategory(t, cat); });
      }
      say(`Undone (${Object.keys(previous).length} item(s)).`);
    } catch (error) {
      say(`Undo failed: ${error.message}`);
    }
  }

  async function reveal(tile) {
    if (!grid.dataset.reveal || !tile || tile.classList.contains("revealed")) return;
    try {
      const result = await post(`/cases/${caseId}/media/${tile.dataset.sha}/reveal`);
      tile.querySelector("img").src = result.sharp;
      tile.classList.add("revealed");
      const button = tile.querySelector("button.reveal");
      if (button) button.remove();
      say(`Revealed one item (audit entry ${result.audit}).`);
    } catch (error) {
      say(`Reveal failed: ${error.message}`);
    }
  }

  function toggle(tile, on) {
    tile.classList.toggle("selected", on);
    tile.setAttribute("aria-selected", tile.classList.contains("selected") ? "true" : "false");
  }

  function selectRange(to) {
    const all = tiles();
    const a = all.indexOf(anchor || to);
    const b = all.indexOf(to);
    all.slice(Math.min(a, b), Math.max(a, b) + 1).forEach((t) => toggle(t, true));
  }

  function move(from, key) {
    const all = tiles();
    const i = all.indexOf(from);
    if (i < 0) { if (all.length) all[0].focus(); return; }
    const top = from.offsetTop;
    const perRow = all.filter((t) => t.offsetTop === top).length || 1;
    const step = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -perRow, ArrowDown: perRow }[key];
    const next = all[Math.max(0, Math.min(all.length - 1, i + step))];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }

  grid.addEventListener("click", (event) => {
    const button = event.target.closest("button.reveal");
    const tile = event.target.closest(".tile[data-sha]");
    if (!tile) return;
    if (button) { event.preventDefault(); reveal(tile); return; }
    if (event.shiftKey || event.ctrlKey || event.metaKey) {
      event.preventDefault();
      if (event.shiftKey) selectRange(tile); else toggle(tile);
      anchor = tile;
      tile.focus();
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea") || event.altKey || event.ctrlKey ||
        event.metaKey) return;
    const tile = document.activeElement && document.activeElement.closest(".tile[data-sha]");
    const key = event.key;
    if (/^[0-9]$/.test(key) && Number(key) in labels) {
      event.preventDefault(); categorise(Number(key));
    } else if (key === "Backspace" || key === "Delete") {
      event.preventDefault(); categorise(null);
    } else if (key === "u" || key === "z") {
      event.preventDefault(); undo();
    } else if (key === "r" && tile) {
      event.preventDefault(); reveal(tile);
    } else if (key === " " && tile) {
      event.preventDefault();
      if (event.shiftKey) selectRange(tile); else toggle(tile);
      anchor = tile;
    } else if (key === "a") {
      event.preventDefault(); tiles().forEach((t) => toggle(t, true));
    } else if (key === "Escape") {
      tiles().forEach((t) => toggle(t, false));
    } else if (key === "Enter" && tile) {
      const link = tile.querySelector("a");
      if (link) { event.preventDefault(); link.click(); }
    } else if (key.startsWith("Arrow")) {
      event.preventDefault(); move(tile, key);
    } else if (key === "n") {
      const next = document.getElementById("next-page");
      if (next) next.click();
    }
  });

  tiles().forEach((t) => { t.setAttribute("aria-selected", "false"); });
})();
