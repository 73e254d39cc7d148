// Loaded into local mode's process through NODE_OPTIONS=--import (node refuses --cpu-prof
// there): a CPU profiler the benchmark switches on and off with SIGUSR2, so the profile
// covers exactly the measured window. Plain JavaScript: it loads before tsx's loader.
// Only the process running BENCH_PROFILE_TARGET profiles (npm and tsx's launcher load it too).
import console from 'node:console';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
import process from 'node:process';

const target = process.env.BENCH_PROFILE_TARGET;
const outDir = process.env.BENCH_PROFILE_DIR;

if (target && outDir && process.argv[1] && process.argv[1].endsWith(target)) {
  const session = new Session();
  session.connect();
  let running = false;
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  process.on('SIGUSR2', () => {
    const toggle = running
      ? post('Profiler.stop').then(({ profile }) => {
          running = false;
          writeFileSync(path.join(outDir, `${process.pid}.cpuprofile`), JSON.stringify(profile));
        })
      : post('Profiler.enable')
          .then(() => post('Profiler.setSamplingInterval', { interval: 1000 }))
          .then(() => post('Profiler.start'))
          .then(() => {
            running = true;
            writeFileSync(path.join(outDir, `${process.pid}.started`), '');
          });
    toggle.catch((err) => console.error(`bench profiler: ${err instanceof Error ? err.message : String(err)}`));
  });
}
