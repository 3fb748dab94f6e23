// Loaded into the Confero server by the bench's memory section only (node --expose-gc --import …): SIGUSR2
// runs a full garbage collection, so each RSS sample is taken after one — comparable at every level,
// rather than depending on when V8 last collected (start-up garbage made RSS *fall* as peers joined).
if (typeof globalThis.gc === 'function') process.on('SIGUSR2', () => globalThis.gc());
