// Who is logged in, and the live notices (one EventSource per session, from the cookie).
import { reactive } from 'vue'
import { api } from './api.js'

export const session = reactive({ user: null, checked: false, expired: false })
export const notices = reactive({ unread: 0, latest: [], live: false, listeners: new Set() })

let source = null

export function roleOf(user) {
  if (!user) return null
  const roles = user.roles || []
  if (roles.includes('plan_admin') || roles.includes('admin')) return 'city'
  if (user.unit_kind === 'department' || roles.includes('department')) return 'department'
  if (user.unit_kind === 'district' || roles.includes('district')) return 'district'
  if (user.unit_kind === 'school' || roles.includes('school')) return 'school'
  return 'city'
}

export async function loadSession() {
  try {
    const r = await api.get('/api/auth/session')
    session.user = r.user
    session.expired = !!r.expired
  } catch {
    session.user = null
  }
  session.checked = true
  return session.user
}

export async function refreshUnread() {
  try {
    const r = await api.get('/api/notifications', { unread: true, limit: 1 })
    notices.unread = r.unread ?? r.total ?? 0
  } catch { /* the badge waits for the next event */ }
}

export function startStream() {
  stopStream()
  refreshUnread()
  source = new EventSource('/api/notifications/stream')
  source.addEventListener('ready', () => { notices.live = true })
  source.onerror = () => { notices.live = false }
  source.addEventListener('notification', (ev) => {
    let n
    try { n = JSON.parse(ev.data) } catch { return }
    if (!n || typeof n !== 'object' || !n.id) return
    notices.latest.unshift(n)
    notices.latest.splice(20)
    if (!n.read_at) notices.unread += 1
    for (const fn of notices.listeners) fn(n)
  })
}

export function stopStream() {
  if (source) { source.close(); source = null }
  notices.live = false
}

export async function logout() {
  stopStream()
  try { await api.del('/api/auth/session') } catch { /* the cookie goes anyway on expiry */ }
  session.user = null
}
