import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Everything is bundled: the console runs on intranets with no internet access.
export default defineConfig({
  plugins: [vue()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      output: {
        manualChunks: { echarts: ['echarts'], element: ['element-plus'] },
      },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8000' } },
})
