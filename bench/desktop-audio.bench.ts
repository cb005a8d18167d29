// Microphone audio as the desktop app sends it, window to main over Electron IPC: the main
// process's CPU time per second of 48 kHz stereo float audio, in real time. Electron itself is the
// strict test double here (the binary is absent), so Chromium's serialization is stood in for by
// Node's structured clone, done in the same process: an upper bound for main's share.
import { execFileSync } from 'node:child_process';

export function desktopAudioCost(seconds = 30): { cpuMsPerAudioSecond: number } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/desktop-audio.child.ts', String(seconds)], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}
