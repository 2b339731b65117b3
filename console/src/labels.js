// Chinese names for the API's codes.
export const STATUS = {
  assigned: '待签收', acknowledged: '已签收', in_progress: '办理中', submitted: '已提交', completed: '已办结',
  returned: '已退回', declined: '已拒收', withdrawn: '已撤回', reassigned: '已改派',
}
export const STATUS_TAG = {
  assigned: 'info', acknowledged: 'primary', in_progress: 'primary', submitted: 'warning', completed: 'success',
  returned: 'danger', declined: 'danger', withdrawn: 'info', reassigned: 'info',
}
export const LEVEL = { city: '市级', district: '区县', school: '学校' }
export const WARNING = { green: '正常', yellow: '临期', red: '逾期' }
export const WARNING_TAG = { green: 'success', yellow: 'warning', red: 'danger' }
export const UNIT_KIND = { city: '市教育局', department: '市局处室', district: '区县教育局', school: '学校' }
export const ROLE = {
  admin: '系统管理员', plan_admin: '计划管理员', city: '市局', department: '处室', district: '区县', school: '学校',
}
export const SCHOOL_TYPE = {
  kindergarten: '幼儿园', primary: '小学', junior: '初中', senior: '高中', vocational: '中职', special: '特殊教育',
  university: '高校',
}
export const PLAN_STATUS = { draft: '草稿', published: '已发布' }
// notify-svc's notice kinds (contracts/API.md), and the event types older notices carried.
export const NOTICE_KIND = {
  task_assigned: '新任务', tasks_assigned: '新任务', tasks_withdrawn: '任务撤回', task_withdrawn: '任务撤回',
  task_updated: '任务变更', task_reminded: '催办', task_returned: '退回', task_approved: '验收通过', task_submitted: '待审核',
  task_declined: '拒收', task_reassigned: '改派', extension_requested: '延期申请', extension_approved: '延期批准',
  extension_refused: '延期未批准', deadline_approaching: '临期提醒', task_overdue: '逾期', overdue_escalated: '逾期督办',
  'task.assigned': '新任务', 'tasks.assigned': '新任务', 'plan.dispatched': '新任务', 'task.reminded': '催办',
  'task.returned': '退回', 'task.approved': '验收通过', 'task.overdue': '逾期', 'task.deadline_approaching': '临期提醒',
}
export const ACTION = {
  created: '下发', assigned: '下发', acknowledged: '签收', acknowledge: '签收', progress: '填报进度',
  progress_reported: '填报进度', submitted: '提交', submit: '提交', approved: '验收通过', approve: '验收通过',
  returned: '退回', return: '退回', reminded: '催办', remind: '催办', declined: '拒收', reassigned: '改派',
  withdrawn: '撤回', extension_requested: '申请延期', extension_decided: '延期审批', dispatched: '转派',
  updated: '计划修订', reopened: '重新打开', due_changed: '截止日期调整', evidence_uploaded: '上传佐证材料',
  deadline_approaching: '临期提醒', overdue: '逾期',
}
export const label = (map, k) => (k == null ? '—' : map[k] || k)
export const pct = (x) => (x == null ? '—' : `${Math.round(x * 1000) / 10}%`)
export function fmtTime(s) {
  if (!s) return '—'
  const d = new Date(s)
  if (Number.isNaN(d.getTime())) return s
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
}
