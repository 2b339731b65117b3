// Task actions shared by the lists and the detail page; each returns the updated task.
import { ElMessage } from 'element-plus'
import { api } from './api.js'

export function notReady(e, what) {
  if (e.status === 404 || e.status === 405) {
    ElMessage.error(`${what}功能尚未开放（接口未上线），请稍后再试`)
    return true
  }
  return false
}

export async function act(task, verb, body, what) {
  try {
    const t = await api.post(`/api/tasks/${task.id}/${verb}`, body)
    ElMessage.success(`${what}成功`)
    return t
  } catch (e) {
    if (!notReady(e, what) && !(e.status === 422)) ElMessage.error(e.message)
    throw e
  }
}

export const canAck = (t, user) => t.status === 'assigned' && t.unit_id === user?.unit_id
export const canReport = (t, user) => t.unit_id === user?.unit_id && ['acknowledged', 'in_progress', 'returned'].includes(t.status)
export const canDispatch = (t, user) => t.level === 'district' && t.unit_id === user?.unit_id && !['completed', 'withdrawn', 'reassigned', 'declined'].includes(t.status)
export const isIssuer = (t, user) => !!user && (t.issuer_unit_id === user.unit_id || (user.roles || []).includes('plan_admin') && t.level === 'city')
