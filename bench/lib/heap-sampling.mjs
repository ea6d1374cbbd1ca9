// Loaded into a measured process with `--import`: SIGUSR1 starts V8's sampling heap profiler
// (every allocation, including what scavenges collect), SIGUSR2 stops it and writes the profile
// to HEAP_SAMPLING_OUT. Used by bench/alloc-profile.mjs.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();
const post = (method, params) =>
  new Promise((resolve, reject) => {
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result)));
  });
process.on('SIGUSR1', async () => {
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', {
    samplingInterval: 8192,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  process.stderr.write('heap sampling started\n');
});
process.on('SIGUSR2', async () => {
  const { profile } = await post('HeapProfiler.stopSampling');
  writeFileSync(process.env.HEAP_SAMPLING_OUT ?? 'heap.heapprofile', JSON.stringify(profile));
  process.stderr.write('heap sampling written\n');
});
