// A worker for test/worker-host.test.ts that says ready after argv[2] ms, or never without it:
// a model that cannot load. Plain JavaScript, so that it starts in milliseconds without tsx.
const delay = process.argv[2];
if (delay !== undefined) setTimeout(() => process.send({ type: 'ready' }), Number(delay));
process.on('message', (message) => {
  if (message.type === 'shutdown') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
// Stays alive without the channel's help, as a process stuck loading would.
setInterval(() => {}, 1 << 30);
