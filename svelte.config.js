import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/vite-plugin-svelte').SvelteConfig} */
export default {
  // Svelte 5 strips TypeScript types itself; vitePreprocess is kept so that
  // `<style lang="...">` and other preprocessing work if they are ever needed.
  preprocess: vitePreprocess(),
};
