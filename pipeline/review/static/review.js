// The review station's one script: queue keys, the report page's cell panel, the settling view.
// Plain JS, no build step, nothing loaded from elsewhere.
"use strict";

(function () {
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const dataEl = document.getElementById("page-data");
  const data = dataEl ? JSON.parse(dataEl.textContent) : null;

  function fmt(v) {
    if (v === null || v === undefined) return "∅";
    if (typeof v === "number" && !Number.isInteger(v)) return String(Math.round(v * 1e6) / 1e6);
    return String(v);
  }
  // the page and bbox in the address: a crop stays in the browser's cache until the cell moves
  function cropUrl(sha, key) {
    const c = data && data.cells[key];
    return "/crop/" + sha + "?cell=" + encodeURIComponent(key) + (c && c.bbox ? "&b=" + c.page + "_" + c.bbox.join("_") : "");
  }
  function typing(e) { const t = e.target; return t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA"); }

  // ---- identities over the page's cells -----------------------------------------------------
  function effective(key, override) {
    if (override && key in override) return override[key];
    const c = data.cells[key];
    if (!c) return undefined;
    if (c.correction) return c.correction.value;
    return c.printed ? c.value : undefined;
  }
  function present(key, override) {
    if (override && key in override) return true;
    const c = data.cells[key];
    return !!c && (c.printed || (c.correction && c.correction.kind === "correct"));
  }
  function evaluate(ident, override) {
    const terms = ident.lhs.concat(ident.rhs);
    if (!terms.every(k => present(k, override))) return null;
    const sum = ks => ks.reduce((s, k) => s + (Number(effective(k, override)) || 0), 0);
    const l = sum(ident.lhs), r = sum(ident.rhs);
    const side = ks => ks.map(k => fmt(effective(k, override))).join("+");
    return {ok: Math.abs(l - r) < 1e-6, detail: side(ident.lhs) + " = " + side(ident.rhs) + (Math.abs(l - r) < 1e-6 ? "" : "  (" + fmt(l) + " ≠ " + fmt(r) + ")")};
  }
  function identitiesOf(key) {
    return data.identities.filter(i => i.lhs.includes(key) || i.rhs.includes(key));
  }
  function holdCount(key, value) {
    const o = {}; o[key] = value;
    const res = identitiesOf(key).map(i => evaluate(i, o)).filter(r => r);
    return {held: res.filter(r => r.ok).length, total: res.length};
  }

  // ---- queue ---------------------------------------------------------------------------------
  if (document.querySelector("table.queue") && !data) {
    const links = Array.from(document.querySelectorAll("a.open"));
    let at = -1;
    document.addEventListener("keydown", e => {
      if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "j" || e.key === "k") {
        if (!links.length) return;
        at = e.key === "j" ? Math.min(links.length - 1, at + 1) : Math.max(0, at - 1);
        links[at].focus();
        e.preventDefault();
      } else if (e.key === "s") {
        const start = document.getElementById("start");
        if (start) { window.location = start.href; e.preventDefault(); }
      }
    });
  }

  // ---- report page ---------------------------------------------------------------------------
  if (data && document.querySelector("table.tpl")) {
    const panel = document.getElementById("panel");
    function highlight(keys) {
      document.querySelectorAll("td.v.hl").forEach(td => td.classList.remove("hl"));
      let first = null;
      keys.forEach(k => {
        const td = document.getElementById("cell-" + k);
        if (td) { td.classList.add("hl"); first = first || td; }
      });
      if (first) first.scrollIntoView({block: "center", behavior: "smooth"});
    }
    function openCell(key) {
      const c = data.cells[key];
      if (!c) return;
      panel.hidden = false;
      document.getElementById("p-title").textContent = c.labels.row + " › " + c.labels.column;
      document.getElementById("p-labels").textContent = c.labels.table + " · " + key;
      const img = document.getElementById("p-crop"), none = document.getElementById("p-nocrop");
      if (c.bbox) { img.hidden = false; none.hidden = true; img.src = cropUrl(data.sha256, key); }
      else { img.hidden = true; none.hidden = false; none.textContent = c.printed ? "This cell has no position on a page." : "This row or table was not found in the document."; }
      const info = document.getElementById("p-info");
      info.textContent = "";
      const add = (dt, dd) => { const a = document.createElement("dt"); a.textContent = dt; const b = document.createElement("dd"); b.textContent = dd; info.append(a, b); };
      add("read", fmt(c.value) + (c.text !== null && c.text !== undefined ? "  (printed “" + c.text + "”)" : ""));
      add("status", c.state + (c.status && c.status !== c.state ? " (pipeline: " + c.status + ")" : ""));
      if (c.evidence && c.evidence.length) add("evidence", c.evidence.join(", "));
      if (c.alternatives && c.alternatives.length) add("alternatives", c.alternatives.map(a => fmt(a.value) + " (" + a.by + ")").join(", "));
      if (c.correction) add("settled", c.correction.kind + " → " + fmt(c.correction.value) + (c.correction.note ? " · " + c.correction.note : ""));
      if (c.page) add("page", String(c.page));
      document.getElementById("p-settle").href = "/report/" + data.sha256 + "/settle?cell=" + encodeURIComponent(key);
      highlight([key]);
    }
    document.querySelectorAll("td.v").forEach(td => td.addEventListener("click", () => openCell(td.dataset.key)));
    document.querySelectorAll("li.check[data-cells]").forEach(li => {
      const keys = li.dataset.cells.split(" ").filter(Boolean);
      li.addEventListener("mouseenter", () => highlight(keys));
      li.addEventListener("click", () => { highlight(keys); if (keys.length === 1) openCell(keys[0]); });
      li.addEventListener("keydown", e => { if (e.key === "Enter") highlight(keys); });
    });
    if (location.hash.startsWith("#cell-")) openCell(decodeURIComponent(location.hash.slice(6)));
    document.addEventListener("keydown", e => {
      if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
      const settle = document.getElementById("settle");
      if ((e.key === "Enter" || e.key === "s") && settle && document.activeElement === document.body) {
        window.location = settle.href; e.preventDefault();
      }
    });
  }

  // ---- settling view -------------------------------------------------------------------------
  if (data && document.body.classList.contains("settle")) {
    const $ = id => document.getElementById(id);
    const order = data.review.slice();
    if (data.start && !order.includes(data.start)) order.unshift(data.start);
    const input = $("s-input");
    let idx = data.start ? order.indexOf(data.start) : firstOpen(0);
    if (idx < 0) idx = 0;
    let altAt = -1;
    let chain = Promise.resolve();
    const readOnly = !!document.querySelector(".ro");

    function isOpen(k) { const c = data.cells[k]; return !c.correction; }
    function firstOpen(from) {
      for (let i = 0; i < order.length; i++) { const j = (from + i) % order.length; if (isOpen(order[j])) return j; }
      return -1;
    }
    function progress() {
      const settled = data.review.filter(k => !isOpen(k)).length;
      $("progress").textContent = settled + " settled / " + (data.review.length - settled) + " to settle";
      $("progress-bar").max = data.review.length || 1; $("progress-bar").value = settled;
    }
    function message(text, cls) { const m = $("s-message"); m.textContent = text; m.className = "message " + (cls || ""); }

    function typedValue() {
      let t = input.value.trim().replace(/[０-９]/g, ch => String.fromCharCode(ch.charCodeAt(0) - 0xFEE0))
        .replace(/[，,\s]/g, "").replace(/[－—]/g, "-").replace(/．/g, ".");
      if (t === "") return undefined;
      if (!/^-?\d+(\.\d+)?$/.test(t)) return NaN;
      return Number(t);
    }

    function renderIdents(key) {
      const ul = $("s-idents");
      ul.textContent = "";
      const tv = typedValue();
      const o = {};
      if (tv !== undefined && !Number.isNaN(tv)) o[key] = tv;
      const ids = identitiesOf(key);
      if (!ids.length) { const li = document.createElement("li"); li.className = "muted"; li.textContent = "no identity checks this cell"; ul.append(li); }
      ids.forEach(i => {
        const r = evaluate(i, o);
        const li = document.createElement("li");
        li.className = r === null ? "muted" : (r.ok ? "ok" : "bad");
        li.textContent = (r === null ? "· " : r.ok ? "✓ " : "✗ ") + i.rule + " [" + i.column + "]  " + (r ? r.detail : "a term is not printed");
        ul.append(li);
      });
    }

    function show() {
      if (!order.length) { $("s-done").hidden = false; return; }
      const key = order[idx], c = data.cells[key];
      $("position").textContent = "cell " + (idx + 1) + " of " + order.length;
      $("s-table").textContent = c.labels.table;
      $("s-row").textContent = c.labels.row;
      $("s-col").textContent = c.labels.column;
      const img = $("s-crop"), none = $("s-nocrop");
      if (c.bbox) { img.hidden = false; none.hidden = true; img.src = cropUrl(data.sha256, key); }
      else if (!c.printed && c.near_page) {
        img.hidden = false; none.hidden = false; img.src = "/page/" + data.sha256 + "?n=" + c.near_page;
        none.textContent = "This row was not found in the document: its table is on page " + c.near_page + " (below). Type the value it prints, or b if it prints none.";
      }
      else { img.hidden = true; none.hidden = false; none.textContent = c.printed ? "No position on the page for this cell." : "The document's row or table holding this cell was not found: type the value from the PDF, or b if it prints none."; }
      $("s-where").textContent = c.page ? "page " + c.page : (c.near_page ? "page " + c.near_page + " (the table)" : "");
      $("s-value").textContent = c.printed ? fmt(c.value) : "(not found)";
      $("s-text").textContent = c.text === null || c.text === undefined ? "" : c.text;
      $("s-text").parentNode.hidden = !c.printed;
      $("s-state").textContent = c.state; $("s-state").className = "badge s-" + c.state;
      const settled = $("s-settled");
      if (c.correction) {
        settled.hidden = false;
        settled.textContent = "settled: " + c.correction.kind + " → " + fmt(c.correction.value) + (c.disagree ? "  (read again since: the new reading is " + fmt(c.value) + ")" : "");
      } else settled.hidden = true;
      input.value = ""; altAt = -1;
      input.placeholder = c.printed ? "Enter = accept " + fmt(c.value) : "type the value";
      // choices: the reading, its alternatives, blank — and how many identities hold with each
      const tbody = $("s-alts");
      tbody.textContent = "";
      const addChoice = (label, value, note) => {
        const tr = document.createElement("tr");
        const h = holdCount(key, value);
        [label, fmt(value) + (note ? "  " + note : ""), h.total ? h.held + " of " + h.total + " hold" : "—"].forEach((t, n) => {
          const td = document.createElement("td"); td.textContent = t; if (n === 2) td.className = h.total && h.held === h.total ? "ok" : (h.total ? "bad" : ""); tr.append(td);
        });
        tbody.append(tr);
      };
      if (c.printed) addChoice("Enter: as read", c.value, "");
      (c.alternatives || []).forEach((a, n) => addChoice("a" + "×" + (n + 1) + ": alternative", a.value, "(" + a.by + (a.text ? ", “" + a.text + "”" : "") + ")"));
      addChoice("b: blank", null, "");
      renderIdents(key);
      $("s-evidence").textContent = (c.evidence && c.evidence.length ? "evidence: " + c.evidence.join(", ") : "no evidence confirms this reading") + (c.flags && c.flags.length ? " · flags: " + c.flags.join(", ") : "");
      progress();
      // the next crops are fetched now, so that the next cell shows at once
      for (let n = 1; n <= 3 && idx + n < order.length; n++) {
        const nk = order[idx + n];
        if (data.cells[nk].bbox) { const im = new Image(); im.src = cropUrl(data.sha256, nk); }
      }
      input.focus();
    }

    function advance() {
      const next = firstOpen((idx + 1) % Math.max(order.length, 1));
      if (next < 0) { progress(); $("s-done").hidden = false; $("s-next-report").focus(); return; }
      idx = next; show();
    }

    function save(kind, value) {
      if (readOnly) { message("read-only: nothing is saved here", "bad"); return; }
      const key = order[idx], c = data.cells[key];
      const before = c.correction;
      const res = identitiesOf(key).map(i => { const o = {}; o[key] = kind === "accept" || kind === "as_printed" ? c.value : value; return evaluate(i, o); }).filter(r => r);
      const held = res.filter(r => r.ok).length;
      c.correction = kind === "cleared" ? null : {kind: kind, value: kind === "accept" || kind === "as_printed" ? c.value : value};
      const what = c.labels.row.split(" › ").pop() + " › " + c.labels.column.split(" › ").pop();
      message((kind === "cleared" ? "undone: " : "✓ " + kind + " " + fmt(c.correction.value) + ": ") + what +
        (res.length ? " — identities: " + held + " of " + res.length + " hold" : ""), res.length && held === res.length ? "ok" : "");
      chain = chain.then(() => fetch("/api/save", {
        method: "POST", credentials: "same-origin", keepalive: true,   // survives leaving the page
        headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
        body: JSON.stringify({sha256: data.sha256, cell: key, kind: kind, value: value, version: c.version})
      }).then(r => r.json().then(body => ({status: r.status, body: body}))).then(({status, body}) => {
        if (status === 200) {
          data.cells[key] = body.cell;
          progress();
          if (order[idx] === key) renderIdents(key);
        } else if (status === 409) {
          c.version = body.version; c.correction = body.current && body.current.kind !== "cleared" ? body.current : null;
          message("Not saved: " + body.error + " (" + what + ": " + (c.correction ? c.correction.kind + " " + fmt(c.correction.value) : "undone") + ")", "bad");
          progress();
        } else {
          c.correction = before;
          message("Not saved: " + (body.error || status), "bad");
          progress();
        }
      }).catch(err => { c.correction = before; message("Not saved: the server did not answer (" + err + ")", "bad"); progress(); }));
      if (kind === "cleared") show(); else advance();
    }

    document.addEventListener("keydown", e => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (!$("s-done").hidden) {
        if (e.key === "Enter") { window.location = $("s-next-report").href; e.preventDefault(); }
        else if (e.key === "p" || e.key === "ArrowLeft" || e.key === "ArrowUp") { $("s-done").hidden = true; show(); e.preventDefault(); }
        return;
      }
      if (!order.length) return;
      const key = order[idx], c = data.cells[key];
      const k = e.key;
      if (k === "Enter") {
        e.preventDefault();
        const v = typedValue();
        if (v === undefined) {
          if (!c.printed) { message("This cell was not read: type its value, or b for blank", "bad"); return; }
          save("accept", c.value);
        } else if (Number.isNaN(v)) message("Not a number: " + input.value, "bad");
        else if (c.printed && v === c.value) save("accept", c.value);
        else save("correct", v);
      } else if (k === "b") { e.preventDefault(); save("blank", null); }
      else if (k === "d") { e.preventDefault(); if (c.printed) save("as_printed", c.value); else message("nothing was read here", "bad"); }
      else if (k === "u") { e.preventDefault(); if (c.correction) save("cleared", null); }
      else if (k === "a") {
        e.preventDefault();
        const alts = c.alternatives || [];
        if (!alts.length) { message("no alternative reading for this cell", ""); return; }
        altAt = (altAt + 1) % alts.length;
        input.value = alts[altAt].value === null ? "" : String(alts[altAt].value);
        renderIdents(key);
      } else if (k === "n" || k === "ArrowDown" || (k === "ArrowRight" && input.value === "")) {
        e.preventDefault(); if (idx < order.length - 1) { idx++; show(); }
      } else if (k === "p" || k === "ArrowUp" || (k === "ArrowLeft" && input.value === "")) {
        e.preventDefault(); if (idx > 0) { idx--; show(); }
      } else if (k === "Escape") {
        e.preventDefault();
        if (input.value) { input.value = ""; renderIdents(key); } else window.location = $("back").href;
      } else if (k.length === 1 && !/[0-9０-９.,\-－．]/.test(k)) {
        e.preventDefault();     // letters never land in the number box
      }
    });
    input.addEventListener("input", () => renderIdents(order[idx]));
    if (data.next_report) $("s-next-report").href = "/report/" + data.next_report + "/settle";
    if (!order.length) { $("s-done").hidden = false; progress(); }
    else show();
  }
})();
