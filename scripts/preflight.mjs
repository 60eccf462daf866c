// Before `npm test`: the real programs the tests drive (Debian packages) are there, or get installed
// (as root, with apt-get, as CI does), or the run stops at once with one line saying what to do,
// instead of many test files failing one by one.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Each program the suites start, the Debian package that brings it, and what needs it. */
const NEEDED = [
  { path: '/usr/bin/chromium', pkg: 'chromium', for: 'the real-browser tests' },
  { path: '/usr/bin/redis-server', pkg: 'redis-server', for: 'the Redis store tests' },
];

const missing = NEEDED.filter((need) => !existsSync(need.path));
if (missing.length > 0) {
  const packages = missing.map((need) => need.pkg);
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (canInstall) {
    console.log(`preflight: installing ${packages.join(', ')} (Debian) for ${missing.map((need) => need.for).join(' and ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: ['ignore', 'ignore', 'inherit'], env });
  }
  const still = missing.filter((need) => !existsSync(need.path));
  if (still.length > 0) {
    console.error(`npm test needs ${still.map((need) => `${need.path} (${need.for})`).join(' and ')}: run \`sudo apt-get install ${still.map((need) => need.pkg).join(' ')}\`, then npm test again.`);
    process.exit(1);
  }
}
