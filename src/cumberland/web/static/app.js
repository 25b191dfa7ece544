// The workbench in the browser: the review grid (keyboard categorisation, multi-select, undo,
// auto-advance, reveals), the viewer (zoom, pan, rotate, a region box to search, keyframes,
// playback), the stacks and
// second-opinion pages, and what every page has (help, panic, session timer).
// Loaded as a file (the CSP forbids inline scripts); every POST carries the CSRF header.
// Every action has a key: `?` lists them (the list is built from what is registered here).
"use strict";

(() => {
  const csrfMeta = document.querySelector('meta[name="csrf"]');
  const csrf = csrfMeta ? csrfMeta.content : "";
  const statusLine = document.getElementById("status");
  const say = (text) => { if (statusLine) statusLine.textContent = text; };
  const actions = []; // {keys: [..], label, run}

  function bind(keys, label, run) { actions.push({ keys, label, run }); }

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

  // --- every page: panic, help, session timer and break reminder ----------------------------
  const panic = document.getElementById("panic");
  function togglePanic() {
    if (!panic) return;
    const on = panic.hidden;
    panic.hidden = !on;
    document.body.classList.toggle("panicked", on);
    document.querySelectorAll("video").forEach((v) => v.pause());
  }
  if (panic) panic.addEventListener("click", togglePanic);
  const panicButton = document.getElementById("panic-button");
  if (panicButton) panicButton.addEventListener("click", togglePanic);

  const help = document.getElementById("help");
  function toggleHelp() {
    if (!help) return;
    if (help.hidden) {
      const table = document.getElementById("help-keys");
      table.replaceChildren();
      actions.forEach((a) => {
        const row = table.insertRow();
        const keys = row.insertCell();
        a.keys.forEach((k) => {
          const kbd = document.createElement("kbd");
          kbd.textContent = k;
          keys.append(kbd, " ");
        });
        row.insertCell().textContent = a.label;
      });
    }
    help.hidden = !help.hidden;
  }
  const helpButton = document.getElementById("help-button");
  if (helpButton) helpButton.addEventListener("click", toggleHelp);

  const timer = document.getElementById("session-timer");
  const reminder = document.getElementById("break-reminder");
  if (timer && Number(timer.dataset.start)) {
    const start = Number(timer.dataset.start) * 1000;
    const period = Number(timer.dataset.break || 50) * 60 * 1000;
    let nextBreak = start + period;
    const tick = () => {
      const elapsed = Date.now() - start;
      const minutes = Math.floor(elapsed / 60000);
      timer.textContent = `session ${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}`;
      if (reminder && Date.now() >= nextBreak && reminder.hidden) {
        reminder.querySelector("span").textContent = String(minutes);
        reminder.hidden = false;
      }
    };
    tick();
    setInterval(tick, 15000);
    const later = () => { if (reminder) { reminder.hidden = true; nextBreak = Date.now() + period; } };
    const dismiss = document.getElementById("break-dismiss");
    if (dismiss) dismiss.addEventListener("click", later);
  }

  // Links, buttons and checkboxes that name their key run on it (data-key, data-action).
  document.querySelectorAll("[data-key][data-action]").forEach((el) => {
    const keys = el.dataset.key.split(" | "); // alternatives; "g r" is a sequence
    if (el.matches("#tile-size, #scrub, #help-button, #panic-button")) return; // bound below
    const run = () => {
      if (el.matches("summary")) { // open it and go to its first field
        el.parentElement.open = true;
        const first = el.parentElement.querySelector("input");
        if (first) first.focus();
      } else if (el.matches('input[type="checkbox"]')) {
        el.checked = !el.checked;
        el.dispatchEvent(new Event("change"));
      } else if (!el.hidden) {
        el.click();
      }
    };
    bind(keys, el.dataset.action, run);
  });
  bind(["?"], "Show / hide these shortcuts", null);
  bind(["p"], "Panic: blank the screen at once (p again to come back)", null);

  // --- grids: review, stacks, second opinion -------------------------------------------------
  const grid = document.querySelector(".grid[data-page]");
  const stage = document.getElementById("stage");
  const holder = grid || stage;
  const labels = holder && holder.dataset.labels ? JSON.parse(holder.dataset.labels) : {};
  const label = (cat) => (cat === null ? "uncategorised" : `${cat} ${labels[cat] || ""}`.trim());
  const undoStack = [];
  const revealSeconds = (result) => Number(result.seconds || 300) * 1000;

  function showProgress(p) {
    if (!p) return;
    const set = (id, n) => { const el = document.getElementById(id); if (el) el.textContent = n.toLocaleString("en"); };
    set("progress-reviewed", p.reviewed);
    set("progress-total", p.total);
    set("progress-today", p.today);
    set("progress-share-done", p.share_done);
  }

  if (grid) {
    const caseId = grid.dataset.case;
    const scheme = grid.dataset.scheme;
    const todo = Boolean(grid.dataset.todo);
    let anchor = null;
    const tiles = () => Array.from(grid.querySelectorAll(".tile[data-sha]"));

    // names shortened in the middle to what the tile shows: the device and container at
    // the start, the file name at the end; the whole chain is the tooltip
    function fitNames() {
      grid.querySelectorAll(".path[title]").forEach((el) => {
        const full = el.title;
        el.textContent = full;
        if (el.scrollWidth <= el.clientWidth) return;
        let lo = 4;
        let hi = full.length;
        while (lo < hi) {
          const mid = Math.ceil((lo + hi) / 2);
          const tail = Math.ceil(mid * 0.6);
          el.textContent = `${full.slice(0, mid - tail)}…${full.slice(full.length - tail)}`;
          if (el.scrollWidth <= el.clientWidth) lo = mid; else hi = mid - 1;
        }
        const tail = Math.ceil(lo * 0.6);
        el.textContent = `${full.slice(0, lo - tail)}…${full.slice(full.length - tail)}`;
      });
    }
    window.addEventListener("resize", fitNames);

    // tile size, remembered per browser; small tiles drop the badges (dense grid)
    const slider = document.getElementById("tile-size");
    const applySize = (px) => {
      grid.style.setProperty("--tile", `${px}px`);
      grid.classList.toggle("compact", px < 100);
      if (slider) slider.value = String(px);
      fitNames();
    };
    const saved = Number(localStorage.getItem("cb-tile") || 0);
    if (saved) applySize(saved); else fitNames();
    const resize = (px) => {
      const value = Math.max(64, Math.min(320, px));
      localStorage.setItem("cb-tile", String(value));
      applySize(value);
    };
    if (slider) {
      slider.addEventListener("input", () => resize(Number(slider.value)));
      bind(["+", "−"], "Larger / smaller tiles", null);
    }
    const autoBox = document.getElementById("auto-advance");
    if (autoBox) {
      autoBox.checked = localStorage.getItem("cb-auto") !== "0";
      autoBox.addEventListener("change", () => localStorage.setItem("cb-auto", autoBox.checked ? "1" : "0"));
    }
    const autoAdvance = () => !autoBox || autoBox.checked;

    function showCategory(tile, cat) {
      tile.dataset.cat = cat === null ? "" : String(cat);
      tile.className = tile.className.replace(/\bcat-\d+\b/g, "").trim();
      if (cat !== null) tile.classList.add(`cat-${cat}`);
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
      const stacks = Boolean(grid.dataset.stacks) || Boolean(stackBox && stackBox.checked);
      const final = Boolean(grid.dataset.final);
      return post(`/cases/${caseId}/decisions`, { media, category: cat, scheme, undo, stacks, final });
    }

    function advance(from, removed) {
      // focus the next tile after a categorisation; in a "to review" view the categorised
      // ones leave it; an emptied page brings the next one
      const all = tiles();
      const index = all.indexOf(from);
      removed.forEach((t) => t.remove());
      const left = tiles();
      if (!left.length) {
        say("Page done; loading the next items…");
        const next = document.getElementById("next-page");
        if (todo || !next) window.location.reload(); else next.click();
        return;
      }
      let next = all.slice(index + 1).find((t) => left.includes(t));
      if (!next) next = left[left.length - 1];
      next.focus();
      next.scrollIntoView({ block: "nearest" });
    }

    async function categorise(cat) {
      if (!grid.dataset.categorise) return;
      const chosen = targets();
      if (!chosen.length) { say("Select or focus an item first."); return; }
      try {
        const result = await send(chosen.map((t) => t.dataset.sha), cat, false);
        undoStack.push(result.previous);
        const changed = tiles().filter((t) => t.dataset.sha in result.previous);
        changed.forEach((t) => showCategory(t, cat));
        showProgress(result.progress);
        const count = Object.keys(result.previous).length;
        say(`${count} item(s) set to ${label(cat)}. Press u to undo.`);
        chosen.forEach((t) => toggle(t, false));
        if (autoAdvance() && chosen.length === 1) {
          advance(chosen[0], todo && cat !== null ? changed : []);
        } else if (todo && cat !== null) {
          changed.forEach((t) => t.classList.add("leaving"));
        }
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
        let result = null;
        for (const [key, media] of groups) {
          const cat = key === "null" ? null : Number(key);
          result = await send(media, cat, true);
          tiles().forEach((t) => { if (media.includes(t.dataset.sha)) showCategory(t, cat); });
        }
        if (result) showProgress(result.progress);
        say(`Undone (${Object.keys(previous).length} item(s))${todo ? "; reload to see items that left the view" : ""}.`);
      } catch (error) {
        say(`Undo failed: ${error.message}`);
      }
    }

    async function reveal(tile) {
      if (!grid.dataset.reveal || !tile || tile.classList.contains("revealed")) return;
      try {
        const result = await post(`/cases/${caseId}/media/${tile.dataset.sha}/reveal`);
        const img = tile.querySelector("img");
        const blurred = img.src;
        img.src = result.sharp;
        tile.classList.add("revealed");
        const button = tile.querySelector("button.reveal");
        if (button) button.hidden = true;
        say(`Revealed one item (audit entry ${result.audit}) for ${Math.round(revealSeconds(result) / 60000)} min.`);
        setTimeout(() => { // a reveal lasts a set time, then the item is blurred again
          img.src = blurred.replace(/\/sharp$/, "/thumb");
          tile.classList.remove("revealed");
          if (button) button.hidden = false;
        }, revealSeconds(result));
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

    const focused = () => document.activeElement && document.activeElement.closest(".tile[data-sha]");
    Object.keys(labels).forEach((code) => bind([code], `Categorise: ${label(Number(code))}`, () => categorise(Number(code))));
    bind(["Backspace", "Delete"], "Clear the category", () => categorise(null));
    bind(["u", "z"], "Undo the last categorisation", undo);
    bind(["r"], "Reveal the focused item (logged, for a set time)", () => reveal(focused()));
    bind(["Space"], "Select / unselect the focused item (shift: a range)", null);
    bind(["a"], "Select every item of the page", () => tiles().forEach((t) => toggle(t, true)));
    bind(["Esc"], "Unselect everything", () => tiles().forEach((t) => toggle(t, false)));
    bind(["Enter"], "Open the focused item in the viewer", () => {
      const tile = focused();
      const link = tile && tile.querySelector("a");
      if (link) link.click();
    });
    bind(["← → ↑ ↓"], "Move between items", null);

    document.addEventListener("keydown", (event) => {
      if (!help.hidden || !panic.hidden || event.target.closest("input, select, textarea") ||
          event.altKey || event.ctrlKey || event.metaKey) return;
      const tile = focused();
      if (event.key === " " && tile) {
        event.preventDefault();
        if (event.shiftKey) selectRange(tile); else toggle(tile);
        anchor = tile;
      } else if (event.key.startsWith("Arrow")) {
        event.preventDefault(); move(tile, event.key);
      } else if ((event.key === "+" || event.key === "=") && slider) {
        event.preventDefault(); resize(Number(slider.value) + 16);
      } else if ((event.key === "-" || event.key === "−") && slider) {
        event.preventDefault(); resize(Number(slider.value) - 16);
      }
    });

    tiles().forEach((t) => { t.setAttribute("aria-selected", "false"); });
    const start = grid.dataset.focus && grid.querySelector(`.tile[data-sha="${grid.dataset.focus}"]`);
    if (start) { start.focus(); start.scrollIntoView({ block: "center" }); }
  }

  // --- the viewer -----------------------------------------------------------------------------
  if (stage) {
    const caseId = stage.dataset.case;
    const sha = stage.dataset.sha;
    const base = `/cases/${caseId}/media/${sha}`;
    const picture = document.getElementById("picture");
    const level = document.getElementById("zoom-level");
    const left = document.getElementById("reveal-left");
    const view = { scale: 1, fit: 1, x: 0, y: 0, turn: 0, natural: [0, 0] };
    let sharp = false;

    const boxes = document.getElementById("text-boxes"); // words read, over the revealed picture
    let boxesOn = true;

    const target = () => stage.querySelector("video:not([hidden])") || picture;
    function draw() {
      const shown = target();
      if (boxes) boxes.hidden = !(sharp && boxesOn && shown === picture && view.natural[0]);
      if (!sharp) { stage.classList.add("blurred"); return; }
      stage.classList.remove("blurred");
      const [w, h] = view.natural;
      for (const el of boxes ? [shown, boxes] : [shown]) {
        el.style.width = `${w}px`;
        el.style.height = `${h}px`;
        el.style.transform = `translate(-50%, -50%) translate(${view.x}px, ${view.y}px) rotate(${view.turn * 90}deg) scale(${view.scale})`;
      }
      if (level) level.textContent = `${Math.round(view.scale * 100)} %`;
    }
    function toggleText() {
      boxesOn = !boxesOn;
      const button = document.getElementById("text-toggle");
      if (button) button.setAttribute("aria-pressed", String(boxesOn));
      draw();
    }
    function fit() {
      const [w, h] = view.natural;
      if (!w || !h) return;
      const sideways = view.turn % 2 !== 0;
      const [fw, fh] = sideways ? [h, w] : [w, h];
      view.fit = Math.min(stage.clientWidth / fw, stage.clientHeight / fh, 1);
      view.scale = view.fit;
      view.x = 0; view.y = 0;
      draw();
    }
    // A box drawn on the revealed picture is a region search: the pointer draws instead of
    // panning; the box is turned back through the rotation to the upright picture's pixels
    // (its EXIF orientation applied, as the separate "Find this scene" page draws), which the
    // search turns to the stored pixels, as the CLI's --region is.
    const boxButton = document.getElementById("box-mode");
    const regionBox = document.getElementById("region-box");
    let boxing = false;
    let boxFrom = null;
    function setBoxing(on) {
      boxing = Boolean(on && sharp && regionBox && target() === picture);
      boxFrom = null;
      stage.classList.toggle("boxing", boxing);
      if (boxButton) boxButton.setAttribute("aria-pressed", String(boxing));
      if (regionBox) regionBox.hidden = true;
    }
    function pointed(event) { // the pointer clamped to the picture: screen point, upright fraction
      const r = picture.getBoundingClientRect();
      const x = Math.min(r.right, Math.max(r.left, event.clientX));
      const y = Math.min(r.bottom, Math.max(r.top, event.clientY));
      const u = (x - r.left) / r.width;
      const v = (y - r.top) / r.height;
      return { x, y, at: [[u, v], [v, 1 - u], [1 - u, 1 - v], [1 - v, u]][view.turn] };
    }
    function showBox(a, b) {
      const s = stage.getBoundingClientRect();
      Object.assign(regionBox.style, {
        left: `${Math.min(a.x, b.x) - s.left}px`, top: `${Math.min(a.y, b.y) - s.top}px`,
        width: `${Math.abs(a.x - b.x)}px`, height: `${Math.abs(a.y - b.y)}px`,
      });
      regionBox.hidden = false;
    }
    function search(a, b) {
      const width = Number(stage.dataset.width);
      const height = Number(stage.dataset.height);
      const x0 = Math.round(Math.min(a.at[0], b.at[0]) * width);
      const y0 = Math.round(Math.min(a.at[1], b.at[1]) * height);
      const x1 = Math.round(Math.max(a.at[0], b.at[0]) * width);
      const y1 = Math.round(Math.max(a.at[1], b.at[1]) * height);
      if (x1 - x0 < 2 || y1 - y0 < 2) { setBoxing(true); say("Drag a larger box."); return; }
      say("Searching…");
      window.location.assign(`/cases/${caseId}/find?media=${sha}&region=${x0},${y0},${x1 - x0},${y1 - y0}`);
    }

    const zoom = (factor) => { view.scale = Math.max(0.02, Math.min(32, view.scale * factor)); draw(); };
    const actual = () => { view.scale = 1; draw(); };
    const rotate = (by) => { view.turn = (view.turn + by + 4) % 4; fit(); };

    function blurAgain() {
      sharp = false;
      setBoxing(false);
      if (boxButton) boxButton.hidden = true;
      picture.src = picture.dataset.blurred;
      picture.style.cssText = "";
      stage.querySelectorAll("video").forEach((v) => { v.pause(); v.removeAttribute("src"); v.load(); v.remove(); });
      const tools = document.getElementById("video-tools");
      if (tools) tools.hidden = true;
      const button = document.getElementById("reveal");
      if (button) button.hidden = false;
      stage.dataset.revealed = "";
      if (left) left.textContent = "blurred again";
      draw();
    }

    // The words OCR read on a keyframe, boxed over it as over a picture (fractions of the frame)
    function boxWords(words) {
      if (!boxes || stage.dataset.kind !== "video") return;
      boxes.replaceChildren(...words.map((w) => {
        const span = document.createElement("span");
        span.className = w.matched ? "word-box hit" : "word-box";
        span.dataset.word = w.text;
        const [x, y, width, height] = w.box.map((v) => `${v * 100}%`);
        Object.assign(span.style, { left: x, top: y, width, height });
        const label = document.createElement("span");
        label.className = "word-label";
        label.textContent = w.text;
        span.append(label);
        return span;
      }));
    }

    async function loadKeyframes() {
      const tools = document.getElementById("video-tools");
      const scrub = document.getElementById("scrub");
      const at = document.getElementById("scrub-at");
      if (!tools || !scrub) return;
      const response = await fetch(`${base}/keyframes`, { credentials: "same-origin" });
      if (!response.ok) { say(`Keyframes: ${await response.text()}`); return; }
      // the video's keyframes, and those the analysis read text on (at their own times)
      const spots = (await response.json()).keyframes.map((s, i) => ({ s, url: `${base}/frame?i=${i}`, words: [] }));
      JSON.parse(stage.dataset.frameWords || "[]").forEach((read) => {
        const same = spots.find((p) => Math.abs(p.s - read.t) < 0.01);
        if (same) same.words = read.words;
        else spots.push({ s: read.t, url: `${base}/frame?t=${read.t}`, words: read.words });
      });
      spots.sort((a, b) => a.s - b.s);
      tools.hidden = false;
      scrub.max = String(Math.max(0, spots.length - 1));
      const show = (i) => {
        scrub.value = String(i);
        picture.hidden = false;
        stage.querySelectorAll("video").forEach((v) => { v.pause(); v.hidden = true; });
        boxWords(spots[i].words);
        showPicture(spots[i].url);
        const read = spots[i].words.length ? ` · ${spots[i].words.length} word(s) read` : "";
        if (at) at.textContent = `${i + 1} of ${spots.length} · ${spots[i].s.toFixed(2)} s${read}`;
      };
      scrub.addEventListener("input", () => show(Number(scrub.value)));
      bind([",", "."], "Previous / next keyframe", null);
      document.addEventListener("keydown", (event) => {
        if (event.target.closest("input, select, textarea")) return;
        if (event.key === ",") show(Math.max(0, Number(scrub.value) - 1));
        if (event.key === ".") show(Math.min(spots.length - 1, Number(scrub.value) + 1));
      });
      if (!spots.length) return;
      const wanted = Number(stage.dataset.at || 0); // a search's hit opens at its keyframe
      const nearest = spots.reduce((best, p, i) => (Math.abs(p.s - wanted) < Math.abs(spots[best].s - wanted) ? i : best), 0);
      show(nearest);
    }

    function play() {
      let player = stage.querySelector("video");
      if (!player) {
        player = document.createElement("video");
        player.muted = true; // sound off by default; the controls can turn it on
        player.controls = true;
        player.preload = "metadata";
        player.src = `${base}/video`;
        player.addEventListener("loadedmetadata", () => { view.natural = [player.videoWidth, player.videoHeight]; fit(); });
        stage.append(player);
      }
      picture.hidden = true;
      player.hidden = false;
      player.play().catch((error) => say(`Playback: ${error.message}`));
    }

    function showPicture(url) {
      picture.onload = () => {
        view.natural = [picture.naturalWidth, picture.naturalHeight];
        if (view.scale === 1 && view.fit === 1) fit(); else draw();
      };
      picture.src = url;
    }

    function unlocked(seconds) {
      sharp = true;
      const button = document.getElementById("reveal");
      if (button) button.hidden = true;
      const until = Date.now() + seconds;
      const count = setInterval(() => {
        const rest = Math.max(0, Math.round((until - Date.now()) / 1000));
        if (left) left.textContent = `sharp for ${Math.floor(rest / 60)}:${String(rest % 60).padStart(2, "0")}`;
        if (rest <= 0) { clearInterval(count); blurAgain(); }
      }, 1000);
      if (stage.dataset.kind === "video") loadKeyframes();
      else showPicture(`${base}/full`);
      if (boxButton) boxButton.hidden = false;
    }

    async function reveal() {
      if (!stage.dataset.reveal || sharp) return;
      try {
        const result = await post(`${base}/reveal`);
        say(`Revealed (audit entry ${result.audit}).`);
        unlocked(revealSeconds(result));
      } catch (error) {
        say(`Reveal failed: ${error.message}`);
      }
    }

    async function categorise(cat) {
      if (!stage.dataset.categorise) return;
      try {
        const result = await post(`/cases/${caseId}/decisions`, { media: [sha], category: cat, scheme: stage.dataset.scheme });
        const now = document.getElementById("category-now");
        if (now) now.textContent = label(cat);
        showProgress(result.progress);
        say(`Set to ${label(cat)}.`);
        const next = document.getElementById("next");
        if (next && localStorage.getItem("cb-auto") !== "0") next.click();
      } catch (error) {
        say(`Not saved: ${error.message}`);
      }
    }

    const click = (id, run) => { const el = document.getElementById(id); if (el) el.addEventListener("click", run); };
    click("reveal", reveal);
    click("fit", fit);
    click("actual", actual);
    click("zoom-in", () => zoom(1.25));
    click("zoom-out", () => zoom(0.8));
    click("rotate-left", () => rotate(-1));
    click("rotate-right", () => rotate(1));
    click("play", play);
    click("text-toggle", toggleText);
    click("box-mode", () => setBoxing(!boxing));
    Object.keys(labels).forEach((code) => bind([code], `Categorise: ${label(Number(code))} (then the next item)`, () => categorise(Number(code))));
    bind(["Backspace"], "Clear the category", () => categorise(null));
    bind(["Shift + arrows", "drag"], "Pan a zoomed picture", null);
    stage.addEventListener("wheel", (event) => { if (sharp) { event.preventDefault(); zoom(event.deltaY < 0 ? 1.1 : 0.9); } }, { passive: false });
    let drag = null;
    stage.addEventListener("pointerdown", (event) => {
      if (boxing) { event.preventDefault(); boxFrom = pointed(event); showBox(boxFrom, boxFrom); }
      else if (sharp) drag = [event.clientX - view.x, event.clientY - view.y];
    });
    window.addEventListener("pointerup", (event) => {
      drag = null;
      if (boxing && boxFrom) { const from = boxFrom; boxFrom = null; search(from, pointed(event)); }
    });
    stage.addEventListener("pointermove", (event) => {
      if (boxing && boxFrom) showBox(boxFrom, pointed(event));
      else if (drag) { view.x = event.clientX - drag[0]; view.y = event.clientY - drag[1]; draw(); }
    });
    document.addEventListener("keydown", (event) => {
      if (event.target.closest("input, select, textarea") || !help.hidden || !panic.hidden) return;
      const pan = { ArrowLeft: [60, 0], ArrowRight: [-60, 0], ArrowUp: [0, 60], ArrowDown: [0, -60] }[event.key];
      if (pan && event.shiftKey) { event.preventDefault(); view.x += pan[0]; view.y += pan[1]; draw(); }
      else if (event.key === "ArrowLeft") { const p = document.getElementById("prev"); if (p) p.click(); }
      else if (event.key === "ArrowRight") { const n = document.getElementById("next"); if (n) n.click(); }
    });
    window.addEventListener("resize", fit);
    if (stage.dataset.revealed) unlocked(Number(stage.dataset.seconds) * 1000); else draw();
  }

  // --- one keyboard handler for everything registered ----------------------------------------
  const keyName = (event) => (event.key === " " ? "Space" : event.key === "Escape" ? "Esc" : event.key);
  let prefix = "";
  document.addEventListener("keydown", (event) => {
    const key = keyName(event);
    if (key === "p" && !event.target.closest("input, select, textarea")) { togglePanic(); event.preventDefault(); return; }
    if (!panic.hidden) return;
    if (!help.hidden) { if (key === "?" || key === "Esc") toggleHelp(); event.preventDefault(); return; }
    if (event.target.closest("input, select, textarea") || event.altKey || event.ctrlKey || event.metaKey) return;
    if (key === "?") { event.preventDefault(); toggleHelp(); return; }
    const combo = prefix ? `${prefix} ${key}` : key;
    prefix = "";
    const found = actions.find((a) => a.run && a.keys.includes(combo));
    if (found) { event.preventDefault(); found.run(); return; }
    if (actions.some((a) => a.keys.some((k) => k.startsWith(`${combo} `)))) { prefix = combo; event.preventDefault(); }
  });
})();
