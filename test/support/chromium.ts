// Debian's Chromium as the tests and the timeline benchmark run it: headless, and quiet (no
// sandbox to set up in a container, no GPU, none of the background traffic a profile starts).
export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
