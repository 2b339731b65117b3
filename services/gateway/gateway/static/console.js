// 督办控制台（占位页）：登录、计划、任务、通知。所有文字经 textContent 写入，不拼接 HTML。
"use strict";

const TOKEN_KEY = "duban.token";
const USER_KEY = "duban.user";
const PLAN_STATUS = { draft: ["草稿", ""], published: ["已发布", "blue"], archived: ["已归档", ""] };
const TASK_STATUS = {
  assigned: ["待签收", "yellow"], acknowledged: ["已签收", "blue"], in_progress: ["推进中", "blue"],
  submitted: ["待审核", "blue"], completed: ["已完成", "green"], returned: ["已退回", "red"], declined: ["已拒收", "red"],
};
const WARNING = { green: ["绿灯", "green"], yellow: ["黄灯", "yellow"], red: ["红灯", "red"] };
const LEVEL = { city: "市级", district: "区县级", school: "学校级" };
const UNIT_KIND = { city: "市教育局", department: "局属处室", district: "区县", school: "学校" };

const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem(TOKEN_KEY);
let source = null;
let currentPlan = null;
let newCount = 0;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function badge(map, key) {
  const [text, color] = map[key] || [key || "—", ""];
  return el("span", { class: "badge " + color }, text);
}

function fmtDate(value) {
  if (!value) return "—";
  const d = new Date(value);
  return isNaN(d) ? String(value) : d.toLocaleString("zh-CN", { hour12: false });
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, options = {}) {
  const headers = Object.assign({ Accept: "application/json" }, options.headers || {});
  if (token) headers.Authorization = "Bearer " + token;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(options.json);
  }
  let resp;
  try {
    resp = await fetch(path, { method: options.method || "GET", headers, body: options.body });
  } catch (e) {
    throw new ApiError(0, "无法连接服务器，请检查网络后重试");
  }
  if (resp.status === 401 && path !== "/api/auth/login") {
    logout("登录已过期，请重新登录");
    throw new ApiError(401, "登录已过期，请重新登录");
  }
  if (!resp.ok) {
    let message = `请求失败（${resp.status}）`;
    try { message = (await resp.json()).error.message || message; } catch (e) { /* not the error shape */ }
    throw new ApiError(resp.status, message);
  }
  return options.raw ? resp : resp.status === 204 ? null : resp.json();
}

function showError(message) {
  const box = $("app-error");
  box.textContent = message || "";
  box.hidden = !message;
}

function showLogin(message) {
  $("app-view").hidden = true;
  $("who").hidden = true;
  $("login-view").hidden = false;
  $("login-error").textContent = message || "";
}

function logout(message) {
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(USER_KEY);
  if (source) { source.close(); source = null; }
  showLogin(message);
}

async function login(event) {
  event.preventDefault();
  const form = event.target;
  const button = form.querySelector("button");
  button.disabled = true;
  $("login-error").textContent = "";
  try {
    const data = await api("/api/auth/login", {
      method: "POST", json: { username: form.username.value.trim(), password: form.password.value },
    });
    token = data.access_token;
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, JSON.stringify(data.user));
    form.password.value = "";
    start(data.user);
  } catch (e) {
    $("login-error").textContent = e.message;
  } finally {
    button.disabled = false;
  }
}

function start(user) {
  $("login-view").hidden = true;
  $("app-view").hidden = false;
  $("who").hidden = false;
  const unit = user.unit_name || UNIT_KIND[user.unit_kind] || user.unit_id || "";
  $("user-name").textContent = unit ? `${unit} · ${user.username}` : user.username;
  $("user-roles").textContent = (user.roles || []).length ? "角色：" + user.roles.join("、") : "";
  showError("");
  loadPlans();
  loadNotifications();
  connectLive();
}

async function loadPlans() {
  const list = $("plans");
  list.replaceChildren(el("li", { class: "empty" }, "加载中…"));
  try {
    const data = await api("/api/plans?limit=100");
    $("plans-count").textContent = `共 ${data.total} 项`;
    if (!data.items.length) { list.replaceChildren(el("li", { class: "empty" }, "暂无工作计划")); return; }
    list.replaceChildren(...data.items.map((p) => el("li", { class: "plan", "data-id": p.id, onclick: () => selectPlan(p) },
      el("div", { class: "title" }, p.title || "（未命名计划）"),
      el("div", { class: "meta" }, badge(PLAN_STATUS, p.status), `${p.year || ""} 年度`, `第 ${p.version || 1} 版`))));
    if (currentPlan) {
      const again = data.items.find((p) => p.id === currentPlan.id);
      if (again) selectPlan(again);
    }
  } catch (e) {
    list.replaceChildren(el("li", { class: "empty" }, e.message));
  }
}

async function selectPlan(plan) {
  currentPlan = plan;
  for (const li of $("plans").children) li.classList.toggle("active", li.dataset.id === plan.id);
  $("tasks-title").textContent = `任务 · ${plan.title || ""}`;
  const link = $("export");
  link.href = `/api/reports/plans/${encodeURIComponent(plan.id)}/export.xlsx`;
  link.hidden = false;
  const body = $("tasks");
  body.replaceChildren(el("tr", {}, el("td", { colspan: "5", class: "empty" }, "加载中…")));
  try {
    const data = await api(`/api/tasks?plan_id=${encodeURIComponent(plan.id)}&limit=200`);
    $("tasks-count").textContent = `共 ${data.total} 项`;
    if (!data.items.length) {
      body.replaceChildren(el("tr", {}, el("td", { colspan: "5", class: "empty" }, "该计划暂无可见任务（发布后自动分解）")));
      return;
    }
    body.replaceChildren(...data.items.map((t) => el("tr", {},
      el("td", {}, t.title),
      el("td", {}, LEVEL[t.level] || t.level || "—"),
      el("td", {}, badge(TASK_STATUS, t.status)),
      el("td", {}, t.due_date || "—"),
      el("td", {}, t.warning ? el("span", { class: "badge " + (WARNING[t.warning] || ["", ""])[1] },
        el("span", { class: "dot" }), (WARNING[t.warning] || [t.warning])[0]) : "—"))));
  } catch (e) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: "5", class: "empty" }, e.message)));
  }
}

async function exportPlan(event) {
  // 导出需要携带登录凭证，所以用 fetch 下载后再交给浏览器保存。
  event.preventDefault();
  if (!currentPlan) return;
  try {
    const resp = await api(event.currentTarget.getAttribute("href"), { raw: true, headers: { Accept: "*/*" } });
    const blob = await resp.blob();
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: `${currentPlan.title || "计划"}-督办汇总.xlsx` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) {
    showError("导出失败：" + e.message);
  }
}

async function loadNotifications(seen) {
  const list = $("notes");
  if (seen === true) { newCount = 0; $("new-count").hidden = true; }
  try {
    const data = await api("/api/notifications?limit=50");
    if (!data.items.length) { list.replaceChildren(el("li", { class: "empty" }, "暂无通知")); return; }
    list.replaceChildren(...data.items.map((n) => el("li", { class: n.read_at ? "" : "unread" },
      el("div", { class: "note-title" }, n.title || "通知"),
      n.body ? el("div", { class: "note-body" }, n.body) : null,
      el("div", { class: "meta" }, fmtDate(n.created_at),
        n.read_at ? null : el("button", { class: "link", type: "button", onclick: () => markRead(n.id) }, "标为已读")))));
  } catch (e) {
    list.replaceChildren(el("li", { class: "empty" }, e.message));
  }
}

async function markRead(id) {
  try {
    await api(`/api/notifications/${encodeURIComponent(id)}/read`, { method: "POST" });
    loadNotifications(true);
  } catch (e) {
    showError(e.message);
  }
}

function setLive(text, color) {
  const live = $("live");
  live.textContent = "实时通知：" + text;
  live.className = "badge " + color;
}

function connectLive() {
  if (source) source.close();
  if (!window.EventSource || !token) return;
  // EventSource 不能带请求头，按约定以 access_token 查询参数传递凭证。
  source = new EventSource("/api/notifications/stream?access_token=" + encodeURIComponent(token));
  setLive("连接中", "");
  source.onopen = () => setLive("已连接", "green");
  source.onerror = () => setLive(source && source.readyState === EventSource.CLOSED ? "已断开" : "重连中", "yellow");
  const onNew = () => {
    newCount += 1;
    const counter = $("new-count");
    counter.textContent = `${newCount} 条新通知`;
    counter.hidden = false;
    clearTimeout(connectLive.timer);
    connectLive.timer = setTimeout(loadNotifications, 1500);
  };
  source.onmessage = onNew;
  source.addEventListener("notification", onNew);
}

// The demo hint only where task-svc says this is a demo installation.
fetch("/api/auth/config").then((r) => (r.ok ? r.json() : {})).then((c) => { $("demo-hint").hidden = !c.demo; }).catch(() => {});

$("login-form").addEventListener("submit", login);
$("logout").addEventListener("click", () => logout(""));
$("export").addEventListener("click", exportPlan);
$("refresh-notes").addEventListener("click", () => loadNotifications(true));

if (token) {
  let user = null;
  try { user = JSON.parse(sessionStorage.getItem(USER_KEY)); } catch (e) { /* ignore */ }
  if (user) start(user); else logout("");
} else {
  showLogin("");
}
