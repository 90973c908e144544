// vetpy triage page: lists finished scans from /v1/triage and stores a person's label for each.
// Package data (names, paths, snippets) is written with textContent only: it comes from hostile archives.
"use strict";

const KEY = "vetpy-token";
const $ = (id) => document.getElementById(id);

function token() { return sessionStorage.getItem(KEY); }

function setStatus(text) { $("status").textContent = text; }

// A refused token has already sent the user back to the sign-in form with its own message.
function report(error) { if (error.message !== "unauthorized") { setStatus(String(error.message)); } }

async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: "Bearer " + token() }, options.headers || {});
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401) {
    sessionStorage.removeItem(KEY);
    showLogin("That token was refused.");
    throw new Error("unauthorized");
  }
  if (!response.ok) { throw new Error(path + ": HTTP " + response.status); }
  return response.json();
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) { td.className = className; }
  row.appendChild(td);
  return td;
}

function evidence(result) {
  const list = document.createElement("ul");
  list.className = "evidence";
  for (const reason of (result && result.reasons) || []) {
    const item = document.createElement("li");
    const where = reason.file ? reason.file + (reason.line ? ":" + reason.line : "") : "(package)";
    const place = document.createElement("span");
    place.className = "where";
    place.textContent = where + " ";
    const snippet = document.createElement("code");
    snippet.textContent = reason.message;
    item.append(place, snippet);
    list.appendChild(item);
  }
  if (result && result.error) {
    const item = document.createElement("li");
    item.textContent = "error: " + result.error;
    list.appendChild(item);
  }
  return list;
}

function labelButton(job, labelCell, value, text) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = text;
  button.className = "label-" + value;
  button.dataset.label = value;
  button.addEventListener("click", async () => {
    try {
      const stored = await api("/v1/scans/" + encodeURIComponent(job.id) + "/label", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ label: value }),
      });
      labelCell.textContent = stored.label;
      setStatus("saved");
    } catch (error) { report(error); }
  });
  return button;
}

function render(items) {
  const body = $("scans").querySelector("tbody");
  body.replaceChildren();
  for (const job of items) {
    const result = job.result || {};
    const row = document.createElement("tr");
    row.dataset.id = job.id;
    cell(row, job.created ? new Date(job.created * 1000).toISOString().replace("T", " ").slice(0, 19) : "");
    cell(row, [result.name, result.version].filter(Boolean).join(" ") || job.target, "package");
    cell(row, job.target, "file");
    cell(row, result.verdict || job.status, "verdict verdict-" + (result.verdict || job.status));
    cell(row, typeof result.score === "number" ? result.score.toFixed(3) : "-", "score");
    cell(row, "").appendChild(evidence(result));
    const labelCell = cell(row, job.label || "", "label");
    const actions = cell(row, "", "actions");
    actions.append(
      labelButton(job, labelCell, "malicious", "Confirmed malicious"),
      labelButton(job, labelCell, "benign", "False alarm"),
    );
    body.appendChild(row);
  }
  $("empty").hidden = items.length > 0;
}

async function load() {
  const query = new URLSearchParams({
    verdict: $("verdict").value,
    name: $("name").value,
    min_score: $("min-score").value || "0",
  });
  setStatus("loading…");
  try {
    const data = await api("/v1/triage?" + query.toString());
    render(data.items);
    setStatus(data.items.length + " scan(s)");
  } catch (error) { report(error); }
}

function showLogin(message) {
  $("login").hidden = false;
  $("main").hidden = true;
  $("logout").hidden = true;
  setStatus(message || "");
}

function showMain() {
  $("login").hidden = true;
  $("main").hidden = false;
  $("logout").hidden = false;
  load();
}

document.addEventListener("DOMContentLoaded", () => {
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("token").value.trim());
    $("token").value = "";
    showMain();
  });
  $("filters").addEventListener("submit", (event) => { event.preventDefault(); load(); });
  $("verdict").addEventListener("change", load);
  $("logout").addEventListener("click", () => { sessionStorage.removeItem(KEY); showLogin("signed out"); });
  if (token()) { showMain(); } else { showLogin(); }
});
