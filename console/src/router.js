import { createRouter, createWebHistory } from 'vue-router'
import { setUnauthorizedHandler } from './api.js'
import { loadSession, roleOf, session, startStream, stopStream } from './store.js'
import Layout from './components/Layout.vue'

const ALL = ['city', 'department', 'district', 'school']

export const LANDING = { city: '/plans', department: '/plans', district: '/tasks', school: '/tasks' }

export const routes = [
  { path: '/login', component: () => import('./views/Login.vue'), meta: { title: '登录', public: true } },
  {
    path: '/',
    component: Layout,
    children: [
      { path: '', redirect: () => LANDING[roleOf(session.user)] || '/tasks' },
      { path: 'plans', component: () => import('./views/PlanList.vue'), meta: { title: '工作计划', icon: 'Document', roles: ['city', 'department'], menu: true } },
      { path: 'plans/:id', component: () => import('./views/PlanEdit.vue'), meta: { title: '计划审阅与编辑', parent: { title: '工作计划', path: '/plans' }, roles: ['city', 'department'] } },
      { path: 'dashboard', component: () => import('./views/Dashboard.vue'), meta: { title: '督办看板', icon: 'DataAnalysis', roles: ['city', 'department', 'district'], menu: true } },
      { path: 'tasks', component: () => import('./views/TaskList.vue'), meta: { title: '我的任务', icon: 'List', roles: ALL, menu: true } },
      { path: 'review', component: () => import('./views/TaskList.vue'), props: { mode: 'review' }, meta: { title: '审核与催办', icon: 'Stamp', roles: ['city', 'department', 'district'], menu: true } },
      { path: 'tasks/:id', component: () => import('./views/TaskDetail.vue'), meta: { title: '任务详情', parent: { title: '我的任务', path: '/tasks' }, roles: ALL } },
      { path: 'notifications', component: () => import('./views/Notifications.vue'), meta: { title: '消息通知', icon: 'Bell', roles: ALL, menu: true } },
      { path: 'channels', component: () => import('./views/Channels.vue'), meta: { title: '通知渠道', icon: 'Setting', roles: ALL, menu: true } },
    ],
  },
  { path: '/:rest(.*)*', component: () => import('./views/NotFound.vue'), meta: { title: '页面不存在', public: true } },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  if (!session.checked || !session.user) await loadSession()
  if (!session.user) return { path: '/login', query: { redirect: to.fullPath, ...(session.expired ? { expired: '1' } : {}) } }
  const role = roleOf(session.user)
  if (to.meta.roles && !to.meta.roles.includes(role)) return LANDING[role] || '/tasks'
  return true
})

router.afterEach((to) => {
  document.title = `${to.meta.title || ''} · 督办`
})

// An expired session: back to login, and back to this page afterwards.
setUnauthorizedHandler(() => {
  const here = router.currentRoute.value
  if (here.path === '/login') return
  stopStream()
  session.user = null
  router.replace({ path: '/login', query: { redirect: here.fullPath, expired: '1' } })
})

export { startStream }
