/**
 * The bench measures CPU and memory per worker, so it must find the workers and nothing else: a
 * primary started through tsx also has esbuild's service as a child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { clusterWorkerPids, waitForWorkers } from '../../bench/processes.js';

/** A cluster primary with two workers and a child that is not node (a shell), as esbuild's service is not. */
const PRIMARY = `
  import cluster from 'node:cluster';
  import { spawn } from 'node:child_process';
  if (cluster.isPrimary) {
    // A shell waiting on its input: /bin/sh is on every Linux, where the bench runs (it reads /proc).
    const other = spawn('/bin/sh', ['-c', 'read line'], { stdio: ['pipe', 'ignore', 'ignore'] });
    process.on('SIGTERM', () => other.once('exit', () => process.exit(0)).kill());
    let ready = 0;
    for (let i = 0; i < 2; i++) {
      cluster.fork().once('message', () => {
        if (++ready === 2) process.stdout.write('other ' + other.pid + '\\n');
      });
    }
  } else {
    process.send('ready');
    setInterval(() => undefined, 1000);
  }
`;

describe('bench: the workers of a cluster primary', function () {
  this.timeout(20_000);
  let primary: ChildProcess | undefined;
  let folder: string | undefined;

  afterEach(async () => {
    if (primary && primary.exitCode === null) {
      primary.kill('SIGTERM');
      await once(primary, 'exit');
    }
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  it('are its children that run node, not another program it started', async () => {
    // A file: cluster forks its workers from the primary's script.
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-primary-'));
    const script = path.join(folder, 'primary.mjs');
    fs.writeFileSync(script, PRIMARY);
    primary = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    // Its line, or its exit (a primary that failed must not leave the test waiting).
    const started = await Promise.race([once(primary.stdout!, 'data'), once(primary, 'exit').then(() => null)]);
    expect(started, 'the primary exited before its workers were ready').not.to.equal(null);
    const line = (started as [Buffer])[0];
    const other = Number(/other (\d+)/.exec(line.toString())![1]);

    const workers = await waitForWorkers(primary.pid!, 2);
    expect(workers).to.have.length(2);
    expect(workers).not.to.include(other);
    expect(clusterWorkerPids(primary.pid!)).to.deep.equal(workers);
  });

  it('is the primary itself when it runs without workers', async () => {
    expect(await waitForWorkers(process.pid, 1)).to.deep.equal([process.pid]);
  });
});
