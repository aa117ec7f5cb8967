/* global process, Buffer */
// `docker` and `mc` of the production rehearsal: sends the call (tool, arguments, working folder,
// environment) to the rehearsal's control socket ($REHEARSAL_SOCKET), which acts it out with the
// real programs, and prints what it answers with its exit code.
import http from 'node:http';

const [tool, ...args] = process.argv.slice(2);
const body = JSON.stringify({ tool, args, cwd: process.cwd(), env: process.env });
const req = http.request(
  {
    socketPath: process.env.REHEARSAL_SOCKET,
    path: '/',
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
  },
  (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => {
      const { code, stdout, stderr } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      process.stdout.write(stdout);
      process.stderr.write(stderr);
      process.exitCode = code;
    });
  },
);
req.on('error', (error) => {
  process.stderr.write(`${tool} (rehearsal stand-in): ${error.message}\n`);
  process.exitCode = 125;
});
req.end(body);
