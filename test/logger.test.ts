/** What reaches the logs: secrets redacted at any depth; the request line on the same output. */
import { createLogger, requestLogger } from '../src/logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, stream: { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } } };
}

test('passwords, tokens and codes are redacted at the top level and one level down', () => {
  const { lines, stream } = capture();
  const logger = createLogger({ logLevel: 'info', nodeEnv: 'production' }, stream);
  logger.info({ password: 'hunter2', refresh_token: 'rt', form: { code: '123456', username: 'mrossi' } }, 'event');
  expect(lines[0]).toMatchObject({ password: '[redacted]', refresh_token: '[redacted]', form: { code: '[redacted]', username: 'mrossi' }, service: 'porta' });
  expect(JSON.stringify(lines)).not.toMatch(/hunter2|"rt"|123456/);
});

test('the request line goes to the same output, with the same level and bindings', () => {
  const { lines, stream } = capture();
  const logger = createLogger({ logLevel: 'warn', nodeEnv: 'production' }, stream);
  requestLogger(logger).info({ reqId: 'r1', method: 'GET', path: '/jwks', status: 200, ms: 1 }, 'request');
  expect(lines).toHaveLength(0);
  const verbose = createLogger({ logLevel: 'info', nodeEnv: 'production' }, stream);
  requestLogger(verbose).info({ reqId: 'r2', method: 'GET', path: '/jwks', status: 200, ms: 1 }, 'request');
  expect(lines).toEqual([expect.objectContaining({ reqId: 'r2', path: '/jwks', service: 'porta', msg: 'request' })]);
});

test('an error keeps its code and loses the fields that can quote a row', () => {
  const { lines, stream } = capture();
  const logger = createLogger({ logLevel: 'info', nodeEnv: 'production' }, stream);
  const err = Object.assign(new Error('duplicate key value violates unique constraint "accounts_email_unique"'), { code: '23505', detail: 'Key (email)=(mrossi@example.org) already exists.' });
  logger.error({ err, code: 1 }, 'failed');
  expect(lines[0]).toMatchObject({ code: 1, err: { code: '23505', type: 'Error', message: expect.stringContaining('accounts_email_unique') } });
  expect(JSON.stringify(lines)).not.toContain('mrossi@example.org');
});
