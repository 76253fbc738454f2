/** The `porta` executable (bin/porta.js loads the compiled file): the real streams and environment. */

/**
 * oidc-provider warns when it is imported on a Node it does not prefer (Porta supports Node 20, see
 * package.json engines). That notice is about a running server; on the CLI it would precede every
 * message, so it is dropped while the modules load. Other warnings pass through.
 */
async function importQuietly<T>(load: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).includes('oidc-provider WARNING: Unsupported runtime')) warn(...args);
  };
  try {
    return await load();
  } finally {
    console.warn = warn;
  }
}

// `porta users list | head`: the reader has gone, so stop quietly like other command-line tools.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const { run } = await importQuietly(() => import('./run.js'));
process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
