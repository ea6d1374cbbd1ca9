// One progress line on stderr: rewritten in place on a terminal, one line per step otherwise.
const started = performance.now();

/** Shows what is running now, with the time since the start. */
export function progress(message) {
  const line = `[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`;
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
  else process.stderr.write(`${line}\n`);
}

/** Ends the progress line. */
progress.done = () => {
  if (process.stderr.isTTY) process.stderr.write('\n');
};
