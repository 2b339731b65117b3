// The console's one way to talk to the gateway: cookie session, CSRF header, Chinese errors,
// expired session → login (keeping the page), lost connection → retry until it is back.
import { reactive } from 'vue'

export const net = reactive({ offline: false, pending: 0 })

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message)
    this.status = status
    this.code = code
    this.details = details
  }
}

let onUnauthorized = () => {}
export function setUnauthorizedHandler(fn) { onUnauthorized = fn }

function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)duban_csrf=([^;]+)/)
  return m ? decodeURIComponent(m[1]) : ''
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function waitOnline() {
  let delay = 1000
  for (;;) {
    await sleep(delay)
    try {
      const r = await fetch('/healthz', { cache: 'no-store' })
      if (r.ok) return
    } catch { /* still down */ }
    delay = Math.min(delay * 2, 8000)
  }
}

const FIELD_NAMES = {
  title: '标题', body: '内容', deadline: '完成时限', due_date: '截止日期', reason: '原因', percent: '完成进度',
  note: '说明', summary: '总结', message: '催办内容', username: '用户名', password: '密码', lead_units: '牵头单位',
  supporting_units: '配合单位', targets: '下发对象', indicators: '指标', value: '数值', school_ids: '学校',
  school_types: '学校类型', unit_id: '单位', email: '邮箱', url: '地址', file: '文件',
}

// The services' 422 details ([{field, message}], pydantic's English) → { field: 中文说明 }
export function fieldErrors(err) {
  const out = {}
  const details = err && err.details
  if (!Array.isArray(details)) return out
  for (const d of details) {
    const path = String(d.field || '')
    const field = path.split('.')[0] || '_'
    const name = FIELD_NAMES[field] || field
    const m = String(d.message || '')
    let msg
    if (/[\u4e00-\u9fa5]/.test(m)) msg = m
    else if (/required/i.test(m)) msg = `${name}不能为空`
    else if (/at least/i.test(m)) msg = `${name}不能为空或过短`
    else if (/at most/i.test(m)) msg = `${name}过长`
    else if (/date/i.test(m)) msg = `${name}不是有效日期`
    else if (/greater than|less than/i.test(m)) msg = `${name}超出允许范围`
    else if (/number|integer|float/i.test(m)) msg = `${name}须为数字`
    else if (/extra/i.test(m)) msg = `不允许的字段：${name}`
    else msg = `${name}格式不正确`
    out[field] = out[field] ? `${out[field]}；${msg}` : msg
  }
  return out
}

async function parse(resp) {
  const type = resp.headers.get('content-type') || ''
  if (resp.status === 204) return null
  if (type.includes('application/json')) return resp.json()
  return resp.text()
}

export async function request(method, url, { json, form, body, query, raw } = {}) {
  if (query) {
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue
      if (Array.isArray(v)) v.forEach((x) => q.append(k, x))
      else q.append(k, v)
    }
    const s = q.toString()
    if (s) url += (url.includes('?') ? '&' : '?') + s
  }
  const headers = { Accept: 'application/json' }
  let payload = body
  if (json !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(json) }
  if (form) payload = form
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf()
  let counted = false
  let resp
  try {
    for (;;) {
      try {
        resp = await fetch(url, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' })
        break
      } catch (e) {
        // The request never got an answer: keep it, show the banner, send it again when the link is back.
        if (!counted) { net.pending += 1; counted = true }
        net.offline = true
        await waitOnline()
      }
    }
  } finally {
    if (counted) net.pending -= 1
    if (net.pending === 0) net.offline = false
  }
  if (raw) return resp
  const data = await parse(resp)
  if (resp.ok) return data
  const e = (data && data.error) || {}
  let msg = e.message
  if (!msg) {
    msg = resp.status === 404 ? '该功能的接口尚未上线或资源不存在' : `请求失败（${resp.status}）`
  }
  const err = new ApiError(resp.status, e.code || String(resp.status), msg, e.details)
  if (resp.status === 401 && !url.startsWith('/api/auth/session')) onUnauthorized()
  throw err
}

export const api = {
  get: (url, query) => request('GET', url, { query }),
  post: (url, json) => request('POST', url, { json: json === undefined ? {} : json }),
  put: (url, json) => request('PUT', url, { json }),
  patch: (url, json) => request('PATCH', url, { json }),
  del: (url) => request('DELETE', url),
  upload: (url, file, field = 'file') => { const f = new FormData(); f.append(field, file); return request('POST', url, { form: f }) },
}

// Trigger a browser download of an authenticated file (the cookie goes along).
export async function download(url, filename) {
  const resp = await request('GET', url, { raw: true })
  if (!resp.ok) {
    let msg = `下载失败（${resp.status}）`
    try { msg = (await resp.json()).error.message || msg } catch { /* not JSON */ }
    if (resp.status === 401) onUnauthorized()
    throw new ApiError(resp.status, 'download_failed', msg)
  }
  const blob = await resp.blob()
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 10000)
}
