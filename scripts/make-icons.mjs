// Makes the app's icons from build/icon.svg with rsvg-convert (Debian/Ubuntu: apt-get install
// librsvg2-bin; macOS: brew install librsvg):
//   build/icon.png     1024x1024, from which electron-builder derives the macOS .icns and the
//                      Windows .ico when building for those platforms;
//   build/icons/NxN.png the freedesktop sizes the Linux targets (AppImage, deb) install as they
//                      are (electron-builder's linux.icon accepts a folder of NxN.png files).
// Usage: node scripts/make-icons.mjs. The PNGs are committed; rerun after editing the SVG.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const build = fileURLToPath(new URL('../build', import.meta.url));
const svg = join(build, 'icon.svg');
const render = (size, out) => execFileSync('rsvg-convert', ['--width', `${size}`, '--height', `${size}`, '--output', out, svg], { stdio: 'inherit' });

render(1024, join(build, 'icon.png'));
mkdirSync(join(build, 'icons'), { recursive: true });
for (const size of [16, 24, 32, 48, 64, 128, 256, 512]) render(size, join(build, 'icons', `${size}x${size}.png`));
console.log(`icons written to ${build}`);
