// `npm run bench`: prints the figures quoted in the README. Needs ffmpeg (to make the hour of
// MP3 once). Shared machines are noisy: the figures are medians where a run is short.
import { againstVadNode, fileThroughput, simpleRunnerOverhead } from './engine.bench';

const only = process.argv.slice(2);
const wanted = (name: string) => only.length === 0 || only.includes(name);
const line = (text: string) => process.stdout.write(text + '\n');

if (wanted('resampler')) {
  const { benchResampler } = await import('./resampler.bench');
  for (const [name, value] of Object.entries(await benchResampler())) line(`resampler  ${name}: ${value.toFixed(0)}x real time per channel`);
}
if (wanted('simple')) {
  const { ratio, runs } = await simpleRunnerOverhead();
  line(
    `simple runner  200 x 1 s chunks, delay 0.05 s, pool 4, max_futures 4: wall/ideal ${ratio.toFixed(3)} (median of ${runs.map((r) => r.toFixed(3)).join(', ')}; target <= 1.05)`,
  );
}
if (wanted('throughput')) {
  const { realtime, seconds, peakMb, finals, speechSeconds } = await fileThroughput();
  line(
    `file throughput  1 h 44.1 kHz stereo MP3 (LAME 128k, different speech in each channel), segmented, instant model, through the CLI: ${realtime.toFixed(0)}x real time (${seconds.toFixed(1)} s; finals per channel ${finals.join(', ')}, speech ${speechSeconds.map((s) => s.toFixed(0)).join(' s, ')} s; target >= 200x)`,
  );
  line(`file throughput  peak memory of all processes: ${peakMb.toFixed(0)} MB (target <= 350 MB)`);
}
if (wanted('ten-hours')) {
  const { tenHours } = await import('./engine.bench');
  const r = await tenHours();
  line(
    `ten hours  16 kHz mono WAV in one file through the CLI: ${(36000 / r.seconds).toFixed(0)}x real time, ${r.finals} finals to ${r.lastFinalEnd.toFixed(0)} s; peak memory of all processes hour by hour: ${r.rssByHour.map((mb) => mb.toFixed(0)).join(', ')} MB`,
  );
}
if (wanted('vad-node')) {
  const result = await againstVadNode();
  line(
    `vs vad-node  first 5 min of 16 kHz speech: NonRealTimeVAD.run ${result.vadNodeSeconds.toFixed(1)} s; \`npm run --silent cli -- process\` end to end ${result.utterlySeconds.toFixed(2)} s (median of ${result.utterlyRuns.map((r) => r.toFixed(2)).join(', ')}): ${result.speedup.toFixed(0)}x faster (target >= 30x)`,
  );
  line(`vs vad-node  segments: ${result.vadNode.length} vs ${result.utterly.length}, ${result.sameSegments ? 'the same within one frame' : 'DIFFERENT'}`);
  if (!result.sameSegments) line(JSON.stringify({ vadNode: result.vadNode, utterly: result.utterly }));
}
if (wanted('storage')) {
  const { benchStorage } = await import('./storage.bench');
  const { list10kMs, search10kMs, open10kEventsMs, eventsPerSecond } = await benchStorage();
  line(
    `storage  10,000 sessions: first page with total ${list10kMs.toFixed(2)} ms, search ${search10kMs.toFixed(1)} ms; a session of 10,000 events opened in ${open10kEventsMs.toFixed(1)} ms (medians; target < 50 ms each); EventWriter ${Math.round(eventsPerSecond)} events/s`,
  );
}
if (wanted('server')) {
  const { threeHourRecording } = await import('./server.bench');
  const r = await threeHourRecording();
  line(
    `server  3 h of 16 kHz mono through /api/v1/segmented at full speed: ${r.realtime.toFixed(0)}x real time; server memory end - after 1 min: ${r.growthMb.toFixed(1)} MB (target < 50 MB); ${Math.round(r.eventsPerSecond)} events/s written (${r.events} events); stop to last final ${r.stopToLastFinalMs.toFixed(0)} ms`,
  );
}
if (wanted('live')) {
  const { liveAudioCost } = await import('./bridge.bench');
  const { cpuMsPerAudioSecond, shareOfCore } = await liveAudioCost();
  line(
    `live audio  48 kHz stereo float, 20 ms frames over the bridge socket in real time: the server spends ${cpuMsPerAudioSecond.toFixed(1)} ms of CPU per second of audio (${(shareOfCore * 100).toFixed(1)}% of a core), all of the back end's work included`,
  );
}
if (wanted('desktop-audio')) {
  const { desktopAudioCost } = await import('./desktop-audio.bench');
  const runs = [0, 1, 2].map(() => desktopAudioCost().cpuMsPerAudioSecond).sort((a, b) => a - b);
  line(
    `desktop audio  48 kHz stereo float, 20 ms frames over Electron IPC (the double) in real time: main spends ${runs[1]!.toFixed(1)} ms of CPU per second of audio (median of ${runs.map((r) => r.toFixed(1)).join(', ')}), all of the back end's work included`,
  );
}
if (wanted('timeline')) {
  const { benchTimeline } = await import('./timeline.bench');
  const r = await benchTimeline();
  line(`timeline  10,000 segments over 3 h, zooming and scrolling in Chromium: ${JSON.stringify(r)}`);
}
