// The analysts' page: plain JavaScript, no build step, no other origin.
// Every piece of server data reaches the page through textContent, never
// as HTML.
"use strict";

(function () {
  const KEY_STORAGE = "screener.apiKey";
  const POLL_MS = 1000;

  const $ = (id) => document.getElementById(id);

  // el builds an element: el("p", {class: "x"}, "text", child, …).
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) {
      if (c === undefined || c === null || c === "") continue;
      e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }

  // ---- the API key -------------------------------------------------------

  function apiKey() {
    try { return sessionStorage.getItem(KEY_STORAGE) || ""; } catch (_) { return ""; }
  }
  function setKey(k) {
    try {
      if (k) sessionStorage.setItem(KEY_STORAGE, k); else sessionStorage.removeItem(KEY_STORAGE);
    } catch (_) { /* storage disabled: the key lives only in the field */ }
  }

  // APIError is a failed call: its HTTP status and the problem document.
  class APIError extends Error {
    constructor(status, problem) {
      super(problem && (problem.detail || problem.title) || ("HTTP " + status));
      this.status = status;
      this.problem = problem || {};
    }
  }

  // api calls the service with the key and returns the Response, or throws
  // an APIError for any answer that is not 2xx.
  async function api(method, path, body, headers) {
    const h = Object.assign({ Accept: "application/json" }, headers || {});
    const k = apiKey() || $("api-key").value.trim();
    if (k) h["X-API-Key"] = k;
    let resp;
    try {
      resp = await fetch(path, { method, headers: h, body, credentials: "same-origin", cache: "no-store" });
    } catch (e) {
      throw new APIError(0, { title: "The service could not be reached", detail: String(e.message || e) });
    }
    if (resp.ok) return resp;
    let problem = null;
    const ct = resp.headers.get("Content-Type") || "";
    if (ct.includes("json")) {
      try { problem = await resp.json(); } catch (_) { problem = null; }
    }
    throw new APIError(resp.status, problem);
  }

  // showError fills an error box with what went wrong and how to fix it.
  function showError(box, err) {
    box.replaceChildren();
    let headline;
    if (err.status === 401) {
      headline = "The API key is missing or not valid. Enter a valid key in “API key” at the top of the page and try again.";
    } else if (err.status === 403) {
      headline = "This API key may not do this.";
    } else if (err.status === 429) {
      headline = "Too many requests: wait a moment and try again.";
    } else if (err.status === 0) {
      headline = "The service could not be reached.";
    } else {
      headline = (err.problem.title || "The request failed") + (err.status ? " (HTTP " + err.status + ")" : "");
    }
    box.append(el("p", { class: "headline" }, el("strong", {}, headline)));
    const detail = err.problem.detail;
    if (detail && err.status !== 401) box.append(el("p", {}, detail));
    const errs = err.problem.errors || [];
    if (errs.length) {
      const ul = el("ul");
      for (const fe of errs) {
        const where = [fe.field, fe.line ? "line " + fe.line : ""].filter(Boolean).join(", ");
        ul.append(el("li", {}, where ? where + ": " : "", fe.reason || ""));
      }
      box.append(ul);
    }
    if (err.problem.request_id) box.append(el("p", { class: "help" }, "Request id: " + err.problem.request_id));
    box.hidden = false;
    if (err.status === 401) $("api-key").setAttribute("aria-invalid", "true");
  }
  function clearError(box) { box.hidden = true; box.replaceChildren(); }

  function setupKey() {
    const input = $("api-key"), status = $("key-status");
    input.value = apiKey();
    status.textContent = apiKey() ? "A key is set for this tab." : "";
    $("key-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      setKey(input.value.trim());
      input.removeAttribute("aria-invalid");
      status.textContent = apiKey() ? "Key saved for this tab." : "No key: calls are sent without one.";
      loadAlerts(true);
    });
    $("key-forget").addEventListener("click", () => {
      setKey("");
      input.value = "";
      status.textContent = "Key forgotten.";
      input.focus();
    });
  }

  // ---- screening ---------------------------------------------------------

  const STATUS_TEXT = {
    match: ["MATCH", "At least one listed party resembles this name. Review the matches below."],
    clear: ["CLEAR", "A full list was screened and nothing reached the threshold."],
    unscreenable: ["UNSCREENABLE", "Not clear: nothing matched, but the screening cannot vouch for this name. See the warnings and review by hand."],
  };

  function fmtScore(x) { return typeof x === "number" ? x.toFixed(4) : ""; }

  function statusBlock(status, count) {
    const known = STATUS_TEXT[status];
    const label = known ? known[0] : String(status || "unknown").toUpperCase();
    let note = known ? known[1] : "An unknown status: treat it as needing review.";
    if (status === "match") note = count + (count === 1 ? " match. " : " matches. ") + note;
    const cls = known ? "status status-" + status : "status status-other";
    return el("div", { class: "status-block" },
      el("p", { class: cls, id: "screen-status", "data-status": status || "" }, "Status: " + label),
      el("p", { class: "status-note" }, note));
  }

  function warningsBlock(ws) {
    if (!ws || !ws.length) return null;
    const ul = el("ul");
    for (const w of ws) ul.append(el("li", { class: "warning", "data-code": w.code }, el("code", {}, w.code), " — ", w.detail || ""));
    return el("div", { class: "warnings", role: "note" }, el("h3", {}, ws.length === 1 ? "Warning" : "Warnings"), ul);
  }

  function addressText(a) {
    return [a.address, a.city, a.state, a.postal_code, a.country].filter(Boolean).join(", ");
  }

  function factRow(dl, term, value) {
    if (value === undefined || value === null || value === "" || (Array.isArray(value) && !value.length)) return;
    dl.append(el("dt", {}, term), value instanceof Node ? el("dd", {}, value) : el("dd", {}, String(value)));
  }

  function listOf(items, cls) {
    const ul = el("ul", { class: cls });
    for (const i of items) ul.append(el("li", {}, i));
    return ul;
  }

  function explanationBlock(x) {
    if (!x) return null;
    const box = el("div", { class: "explanation" });
    box.append(el("h4", {}, "Why it matched"));
    if (x.summary) box.append(el("p", { class: "summary" }, x.summary));
    const words = x.words || [];
    if (words.length) {
      const tb = el("tbody");
      for (const w of words) {
        tb.append(el("tr", {},
          el("td", {}, w.query), el("td", {}, w.listed), el("td", {}, String(w.how || "").replace(/_/g, " ")),
          el("td", { class: "num" }, fmtScore(w.score)), el("td", { class: "num" }, fmtScore(w.weight))));
      }
      box.append(el("table", { class: "words" },
        el("caption", {}, "Words"),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Query word"), el("th", { scope: "col" }, "Listed word"),
          el("th", { scope: "col" }, "How"), el("th", { scope: "col" }, "Score"), el("th", { scope: "col" }, "Weight"))),
        tb));
    }
    const dl = el("dl", { class: "facts" });
    factRow(dl, "Query words not on the list", (x.unmatched_query || []).join(", "));
    factRow(dl, "Listed words not in the query", (x.unmatched_listed || []).join(", "));
    if (x.country_penalty) factRow(dl, "Country penalty", "−" + fmtScore(x.country_penalty));
    for (const f of x.facts || []) {
      factRow(dl, "Checked " + String(f.field || "").replace(/_/g, " "),
        (f.how || "") + ": asked " + (f.query || "") + ", listed " + (f.listed || "") + " (" + (f.adjust >= 0 ? "+" : "") + fmtScore(f.adjust) + ")");
    }
    if (dl.children.length) box.append(dl);
    return box;
  }

  // matchDecideForm lets an analyst decide a match of the screening r: a
  // false positive suppresses the (name, entry) pair in this key's later
  // screenings, batches and monitoring runs (POST /v1/decisions).
  function matchDecideForm(r, m, i) {
    const id = "decide-" + i;
    const what = (m.name || m.id) + (m.list ? " (" + m.list + ")" : "");
    const status = el("p", { id: id + "-status", class: "decide-status", role: "status", "aria-live": "polite" });
    const errBox = el("div", { id: id + "-error", class: "error", role: "alert", hidden: true });
    const form = el("form", { class: "match-decide", "data-entry": m.id || "" },
      el("fieldset", {},
        el("legend", {}, "Decide this match"),
        el("span", { class: "choice" },
          el("input", { id: id + "-tm", type: "radio", name: "outcome", value: "true_match" }),
          el("label", { for: id + "-tm" }, "True match")),
        el("span", { class: "choice" },
          el("input", { id: id + "-fp", type: "radio", name: "outcome", value: "false_positive" }),
          el("label", { for: id + "-fp" }, "False positive")),
        el("label", { for: id + "-reason", class: "reason" }, "Reason"),
        el("input", { id: id + "-reason", type: "text", name: "reason", maxlength: 2000, autocomplete: "off", "aria-describedby": id + "-help" }),
        el("button", { type: "submit", id: id + "-submit" }, "Record decision"),
        el("p", { id: id + "-help", class: "help" }, "A false positive hides this entry for this name in your later screenings, batches and monitoring until the entry changes.")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const outcome = form.elements.outcome.value;
      const reason = form.elements.reason.value.trim();
      clearError(errBox);
      if (!outcome || !reason) {
        showError(errBox, new APIError(400, { title: "Choose True match or False positive and give a reason for " + what }));
        (outcome ? form.elements.reason : form.querySelector("input[type=radio]")).focus();
        return;
      }
      const btn = form.querySelector("button");
      btn.disabled = true;
      try {
        const req = { name: (r.query && r.query.name) || "", entry_id: m.id, source: m.source, outcome, reason };
        if (r.id) req.screening_id = r.id;
        const d = await (await api("POST", "/v1/decisions", JSON.stringify(req), { "Content-Type": "application/json" })).json();
        form.replaceChildren();
        form.hidden = true;
        status.dataset.decision = d.id || "";
        status.textContent = "Decided: " + human(outcome) + " — " + reason + " (decision " + (d.id || "") + ")." +
          (outcome === "false_positive" ? " Screen the name again to see it suppressed." : "");
        status.tabIndex = -1;
        status.focus();
      } catch (err) {
        showError(errBox, err);
        btn.disabled = false;
      }
    });
    return el("div", { class: "decide" }, form, errBox, status);
  }

  // suppressedBlock lists the matches analysts' false positives suppressed.
  function suppressedBlock(ms) {
    if (!ms || !ms.length) return null;
    const ul = el("ul");
    for (const m of ms) {
      ul.append(el("li", { class: "suppressed", "data-entry": m.id || "", "data-decision": m.suppressed_by || "" },
        el("span", { class: "badge" }, m.list || "?"), " ", m.name || "", " — score ", fmtScore(m.score),
        ", entry ", el("code", {}, m.id || ""), ", suppressed by decision ", el("code", {}, m.suppressed_by || "")));
    }
    return el("div", { class: "suppressed-block", id: "screen-suppressed" },
      el("h3", {}, "Suppressed by decisions (" + ms.length + ")"),
      el("p", { class: "status-note" }, "Analysts decided these were false positives for this name; they do not count in the status."),
      ul);
  }

  function matchBlock(m, i, r) {
    const hid = "match-" + i;
    const art = el("article", { class: "match", "aria-labelledby": hid, "data-list": m.list || "" });
    art.append(el("h3", { id: hid }, el("span", { class: "badge" }, m.list || "?"), m.name || ""));
    art.append(el("p", {}, "Score ", el("span", { class: "score" }, fmtScore(m.score)),
      m.matched_name && m.matched_name !== m.name ? " — matched the name “" + m.matched_name + "”" : ""));
    const dl = el("dl", { class: "facts" });
    factRow(dl, "List", m.source);
    factRow(dl, "Type", m.type);
    factRow(dl, "Federal Register notice", m.federal_register_notice);
    factRow(dl, "Listed from", m.start_date);
    factRow(dl, "Listed until", m.end_date);
    factRow(dl, "License requirement", m.license_requirement);
    factRow(dl, "License policy", m.license_policy);
    if (m.programs && m.programs.length) factRow(dl, "Programs", m.programs.join(", "));
    if (m.addresses && m.addresses.length) factRow(dl, "Addresses", listOf(m.addresses.map(addressText), "addresses"));
    factRow(dl, "Remarks", m.remarks);
    if (m.source_information_url) {
      factRow(dl, "More information", el("a", { href: m.source_information_url, rel: "noreferrer noopener", target: "_blank" }, m.source_information_url));
    }
    factRow(dl, "Entry id", el("code", {}, m.id || ""));
    art.append(dl, explanationBlock(m.explanation));
    if (r) art.append(matchDecideForm(r, m, i));
    return art;
  }

  function listRef(r) {
    const l = r.list || {};
    const parts = ["List version " + (r.list_version || l.version || "?")];
    if (l.entries !== undefined) parts.push(l.entries + " entries");
    if (l.builtin) parts.push("built-in snapshot only");
    if (l.fetched_at) parts.push("fetched " + l.fetched_at);
    parts.push("screened " + (r.screened_at || ""));
    parts.push("id " + (r.id || ""));
    return el("p", { class: "listref" }, parts.join(" · "));
  }

  // queryLine says how the server understood the query (its echo).
  function queryLine(q) {
    if (!q) return null;
    const parts = ["Screened as “" + (q.name || "") + "”"];
    if (q.country) parts.push("country " + q.country);
    if (q.type) parts.push("type " + q.type);
    if (q.date_of_birth) parts.push("date of birth " + q.date_of_birth);
    if (q.nationality) parts.push("nationality " + q.nationality);
    if (typeof q.min_score === "number") parts.push("minimum score " + q.min_score);
    return el("p", { class: "listref query" }, parts.join(" · "));
  }

  function renderScreening(r, notes) {
    const out = $("screen-result");
    const matches = r.matches || [];
    const frag = document.createDocumentFragment();
    frag.append(statusBlock(r.status, matches.length));
    const wb = warningsBlock(r.warnings);
    if (wb) frag.append(wb);
    for (const n of notes) frag.append(el("p", { class: "status-note" }, n));
    frag.append(queryLine(r.query) || "", listRef(r));
    if (matches.length) {
      frag.append(el("h3", { class: "visually-hidden" }, "Matches"));
      matches.forEach((m, i) => frag.append(matchBlock(m, i, r)));
    }
    const sb = suppressedBlock(r.suppressed);
    if (sb) frag.append(sb);
    out.replaceChildren(frag);
    out.dataset.id = r.id || "";
    // The region above is long; screen readers hear this one line.
    const ws = r.warnings || [];
    $("screen-announce").textContent = "Status " + String(r.status || "unknown").toUpperCase() + ": " +
      matches.length + (matches.length === 1 ? " match" : " matches") +
      (ws.length ? "; warnings: " + ws.map((w) => w.code).join(", ") : "") +
      ((r.suppressed || []).length ? "; " + r.suppressed.length + " suppressed by decisions" : "") + ".";
  }

  async function screen(ev) {
    ev.preventDefault();
    const box = $("screen-error"), btn = $("screen-submit");
    clearError(box);
    const name = $("name").value;
    if (!name.trim()) {
      showError(box, new APIError(400, { title: "Enter a name to screen", errors: [{ field: "name", reason: "is required" }] }));
      $("name").setAttribute("aria-invalid", "true");
      $("name").focus();
      return;
    }
    $("name").removeAttribute("aria-invalid");
    const req = { name };
    const country = $("country").value.trim(), type = $("type").value, dob = $("dob").value.trim();
    if (country) req.country = country;
    if (type) req.type = type;
    if (dob) req.date_of_birth = dob;
    const notes = [];
    btn.disabled = true;
    $("screen-result").setAttribute("aria-busy", "true");
    try {
      let resp;
      try {
        resp = await api("POST", "/v1/screen", JSON.stringify(req), { "Content-Type": "application/json" });
      } catch (err) {
        // A server without date-of-birth screening refuses the field as
        // unknown: screen the name without it, and say so.
        const unknownDOB = err.status === 400 && (err.problem.errors || []).some((e) => e.field === "date_of_birth" && /not a known field/.test(e.reason || ""));
        if (!unknownDOB) throw err;
        delete req.date_of_birth;
        notes.push("This server does not screen by date of birth: the name was screened without it.");
        resp = await api("POST", "/v1/screen", JSON.stringify(req), { "Content-Type": "application/json" });
      }
      renderScreening(await resp.json(), notes);
    } catch (err) {
      $("screen-result").replaceChildren();
      $("screen-announce").textContent = "";
      showError(box, err);
    } finally {
      btn.disabled = false;
      $("screen-result").removeAttribute("aria-busy");
    }
  }

  // ---- batches -----------------------------------------------------------

  let batchTimer = null;
  let batchID = "";

  function count(dl, term, value) {
    dl.append(el("div", {}, el("dt", {}, term), el("dd", {}, String(value === undefined ? "" : value))));
  }

  function renderBatch(j) {
    const done = j.status === "done";
    const finished = done || j.status === "failed" || j.status === "cancelled";
    const rows = j.rows || 0, rowsDone = j.rows_done || 0;
    const st = $("batch-status");
    let text = "Batch " + j.id + ": " + j.status + " — " + rowsDone + " of " + rows + " rows screened";
    if (j.status === "failed" && j.error) text += " (" + j.error + ")";
    if (st.textContent !== text && (finished || st.dataset.status !== j.status)) st.textContent = text;
    else $("batch-progress").setAttribute("aria-valuetext", rowsDone + " of " + rows + " rows");
    st.dataset.status = j.status;
    const p = $("batch-progress");
    p.max = Math.max(rows, 1);
    p.value = done ? p.max : rowsDone;
    const dl = $("batch-counts");
    dl.replaceChildren();
    count(dl, "Rows", rows);
    count(dl, "Screened", rowsDone);
    count(dl, "With matches", j.rows_with_matches);
    count(dl, "Unscreenable", j.rows_unscreenable);
    count(dl, "Errors", j.rows_with_errors);
    count(dl, "List version", j.list_version);
    $("batch-downloads").hidden = !done;
    $("batch-job").hidden = false;
    return finished;
  }

  function stopPolling() {
    if (batchTimer) clearTimeout(batchTimer);
    batchTimer = null;
  }

  async function poll() {
    batchTimer = null;
    try {
      const j = await (await api("GET", "/v1/batches/" + encodeURIComponent(batchID))).json();
      clearError($("batch-error")); // a passing failure (a 503, a lost connection) is over
      if (!renderBatch(j)) batchTimer = setTimeout(poll, POLL_MS);
    } catch (err) {
      showError($("batch-error"), err);
      if (err.status === 0 || err.status >= 500 || err.status === 429) batchTimer = setTimeout(poll, POLL_MS * 3);
    }
  }

  async function upload(ev) {
    ev.preventDefault();
    const box = $("batch-error"), btn = $("batch-submit"), input = $("batch-file");
    clearError(box);
    const file = input.files && input.files[0];
    if (!file) {
      showError(box, new APIError(400, { title: "Choose a file to upload" }));
      input.focus();
      return;
    }
    stopPolling();
    const fd = new FormData();
    fd.append("file", file, file.name);
    btn.disabled = true;
    $("batch-status").dataset.status = "";
    $("batch-status").textContent = "Uploading " + file.name + "…";
    $("batch-job").hidden = false;
    $("batch-downloads").hidden = true;
    $("batch-download-status").textContent = "";
    try {
      const j = await (await api("POST", "/v1/batches", fd)).json();
      batchID = j.id;
      if (!renderBatch(j)) batchTimer = setTimeout(poll, POLL_MS);
    } catch (err) {
      $("batch-job").hidden = true;
      showError(box, err);
    } finally {
      btn.disabled = false;
    }
  }

  // download fetches the results with the key and hands them to the
  // browser as a file: a plain link could not carry the key.
  async function download(format) {
    const box = $("batch-error");
    clearError(box);
    try {
      const resp = await api("GET", "/v1/batches/" + encodeURIComponent(batchID) + "/results?format=" + format, undefined,
        { Accept: format === "csv" ? "text/csv" : "application/x-ndjson" });
      const blob = await resp.blob();
      const url = URL.createObjectURL(blob);
      const a = el("a", { href: url, download: "batch-" + batchID + "-results." + (format === "csv" ? "csv" : "jsonl"), class: "visually-hidden" }, "download");
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      $("batch-download-status").textContent = "Results downloaded (" + blob.size + " bytes, " + (format === "csv" ? "CSV" : "JSON lines") + ").";
    } catch (err) {
      showError(box, err);
    }
  }

  // ---- alerts ------------------------------------------------------------

  let alertsNext = "";

  // alertsURL is the listing's first page (or the page after cursor next),
  // open alerts only when the box is ticked.
  function alertsURL(next) {
    const q = new URLSearchParams();
    if ($("alerts-open").checked) q.set("status", "open");
    if (next) q.set("cursor", next);
    const qs = q.toString();
    return "/v1/alerts" + (qs ? "?" + qs : "");
  }

  function decideForm(a) {
    const id = "alert-" + a.id;
    // A counterparty can have several alerts: name the listed entry too.
    const what = [a.reference, a.counterparty_name].filter(Boolean).join(" ") + (a.name ? " ~ " + a.name : "") || a.id;
    const form = el("form", { class: "alert-decide", "data-alert": a.id },
      el("fieldset", {},
        el("legend", { class: "visually-hidden" }, "Decision on alert " + what),
        el("span", { class: "choice" },
          el("input", { id: id + "-tm", type: "radio", name: "outcome", value: "true_match" }),
          el("label", { for: id + "-tm" }, "True match")),
        el("span", { class: "choice" },
          el("input", { id: id + "-fp", type: "radio", name: "outcome", value: "false_positive" }),
          el("label", { for: id + "-fp" }, "False positive")),
        el("label", { for: id + "-reason", class: "reason" }, "Reason"),
        el("input", { id: id + "-reason", type: "text", name: "reason", maxlength: 2000, autocomplete: "off" }),
        el("button", { type: "submit" }, "Decide")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const outcome = form.elements.outcome.value;
      const reason = form.elements.reason.value.trim();
      const box = $("alerts-error");
      clearError(box);
      if (!outcome || !reason) {
        showError(box, new APIError(400, { title: "Choose True match or False positive and give a reason for alert " + what }));
        (outcome ? form.elements.reason : form.querySelector("input[type=radio]")).focus();
        return;
      }
      const btn = form.querySelector("button");
      btn.disabled = true;
      try {
        await api("POST", "/v1/alerts/" + encodeURIComponent(a.id) + "/decision", JSON.stringify({ outcome, reason }),
          { "Content-Type": "application/json" });
        $("alerts-status").textContent = "Alert " + what + " decided: " + outcome.replace(/_/g, " ") + ".";
        await loadAlerts(true, true);
      } catch (err) {
        showError(box, err);
        btn.disabled = false;
      }
    });
    return form;
  }

  // when shows an RFC 3339 time as "2026-12-05 09:00 UTC".
  function when(t) {
    const d = new Date(t);
    return isNaN(d) ? String(t || "") : d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  function human(s) { return String(s || "").replace(/_/g, " "); }

  // alertState says where an alert stands: open, or closed and why (with
  // the decision's outcome and who made it).
  function alertState(a) {
    if (a.status !== "closed") return human(a.status || "open");
    const d = a.decision;
    if (d && d.outcome) return "closed: " + human(d.outcome) + (d.decided_by ? " (by " + d.decided_by + ")" : "") + (d.reason ? " — " + d.reason : "");
    return "closed" + (a.closed_reason ? ": " + human(a.closed_reason) : "");
  }

  function alertRow(a) {
    const open = !a.status || a.status === "open";
    const listed = a.matched_name && a.matched_name !== a.name ? (a.name || "") + " (matched “" + a.matched_name + "”)" : (a.name || "");
    return el("tr", { "data-alert": a.id },
      el("td", { class: "when" }, when(a.created_at)),
      el("td", {}, a.reference || ""),
      el("td", {}, a.counterparty_name || ""),
      el("td", {}, listed),
      el("td", {}, a.list || ""),
      el("td", { class: "num" }, fmtScore(a.score)),
      el("td", {}, human(a.cause)),
      el("td", { class: "state" }, alertState(a)),
      el("td", {}, open ? decideForm(a) : ""));
  }

  // loadAlerts lists alerts: from the start (reset) or the next page. On
  // the first load, a server that wants a key not yet given gets a hint
  // rather than an error.
  async function loadAlerts(reset, quiet, first) {
    const box = $("alerts-error"), status = $("alerts-status"), list = $("alerts-list"), more = $("alerts-more");
    clearError(box);
    if (reset) alertsNext = "";
    try {
      const body = await (await api("GET", alertsURL(reset ? "" : alertsNext))).json();
      const alerts = body.alerts || [];
      alertsNext = body.next || "";
      let tbody = list.querySelector("tbody");
      if (reset || !tbody) {
        tbody = el("tbody");
        list.replaceChildren(alerts.length || !reset ? el("table", { class: "alerts" },
          el("caption", {}, "Alerts, newest first"),
          el("thead", {}, el("tr", {}, ...["Raised", "Reference", "Counterparty", "Listed entry", "List", "Score", "Cause", "Status", "Decision"].map((h) => el("th", { scope: "col" }, h)))),
          tbody) : "");
      }
      for (const a of alerts) tbody.append(alertRow(a));
      more.hidden = !alertsNext;
      const which = $("alerts-open").checked ? "open alerts" : "alerts";
      if (!quiet) status.textContent = reset && !alerts.length ? "No " + which + "." : tbody.children.length + " " + (tbody.children.length === 1 ? which.replace(/s$/, "") : which) + " shown.";
    } catch (err) {
      more.hidden = true;
      if (err.status === 404) {
        list.replaceChildren();
        status.textContent = "Alerts are not available on this server.";
        return;
      }
      if (err.status === 401 && first) {
        status.textContent = "Enter your API key above to see alerts.";
        return;
      }
      showError(box, err);
    }
  }

  // ---- start -------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    setupKey();
    $("screen-form").addEventListener("submit", screen);
    $("batch-form").addEventListener("submit", upload);
    $("batch-csv").addEventListener("click", () => download("csv"));
    $("batch-jsonl").addEventListener("click", () => download("jsonl"));
    $("alerts-load").addEventListener("click", () => loadAlerts(true));
    $("alerts-more").addEventListener("click", () => loadAlerts(false));
    $("alerts-open").addEventListener("change", () => loadAlerts(true));
    loadAlerts(true, false, true);
  });
})();
