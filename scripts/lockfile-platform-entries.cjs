// Usage: node scripts/lockfile-platform-entries.cjs package-lock.json (after `npm install` on a machine whose registry
// cannot serve other platforms' optional packages, npm drops their lock entries and `npm ci` then fails).
// Adds the lock entries for unrs-resolver's platform bindings that the registry proxy here cannot serve.
const fs = require('fs');
const file = process.argv[2];
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const parent = lock.packages['node_modules/unrs-resolver'];

const spec = {
  'android-arm-eabi': ['arm', 'android'], 'android-arm64': ['arm64', 'android'],
  'darwin-arm64': ['arm64', 'darwin'], 'darwin-x64': ['x64', 'darwin'], 'freebsd-x64': ['x64', 'freebsd'],
  'linux-arm-gnueabihf': ['arm', 'linux', 'glibc'], 'linux-arm-musleabihf': ['arm', 'linux', 'musl'],
  'linux-arm64-gnu': ['arm64', 'linux', 'glibc'], 'linux-arm64-musl': ['arm64', 'linux', 'musl'],
  'linux-loong64-gnu': ['loong64', 'linux', 'glibc'], 'linux-loong64-musl': ['loong64', 'linux', 'musl'],
  'linux-ppc64-gnu': ['ppc64', 'linux', 'glibc'], 'linux-riscv64-gnu': ['riscv64', 'linux', 'glibc'],
  'linux-riscv64-musl': ['riscv64', 'linux', 'musl'], 'linux-s390x-gnu': ['s390x', 'linux', 'glibc'],
  'linux-x64-gnu': ['x64', 'linux', 'glibc'], 'linux-x64-musl': ['x64', 'linux', 'musl'],
  'openharmony-arm64': ['arm64', 'openharmony'],
  'win32-arm64-msvc': ['arm64', 'win32'], 'win32-ia32-msvc': ['ia32', 'win32'], 'win32-x64-msvc': ['x64', 'win32'],
};
const added = [];
for (const dep of Object.keys(parent.optionalDependencies)) {
  const key = `node_modules/${dep}`;
  if (lock.packages[key]) continue;
  const s = spec[dep.replace('@unrs/resolver-binding-', '')];
  if (!s) throw new Error('unknown binding ' + dep);
  const [cpu, os, libc] = s;
  lock.packages[key] = { version: parent.optionalDependencies[dep], cpu: [cpu], dev: true, ...(libc ? { libc: [libc] } : {}), license: 'MIT', optional: true, os: [os] };
  added.push(dep);
}
// Keep npm's order (sorted keys, root first).
const entries = Object.entries(lock.packages);
const root = entries.filter(([k]) => k === '');
const rest = entries.filter(([k]) => k !== '').sort(([a], [b]) => a.localeCompare(b, 'en'));
lock.packages = Object.fromEntries([...root, ...rest]);
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
process.stdout.write('added ' + added.length + ' ' + added.join(' ') + '\n');
