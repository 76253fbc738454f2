/**
 * deploy/docker-compose.yml and its nginx config, read as the deployment guide describes them: two
 * Porta instances on one PostgreSQL behind nginx, each with what production refuses to start without,
 * and a proxy that sets exactly the forwarded headers TRUST_PROXY relies on.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { settings } from '../config/schema.js';
import { fromRoot } from '../src/paths.js';

interface Service {
  image?: string; environment?: Record<string, string>; depends_on?: unknown; volumes?: string[]; ports?: string[]; profiles?: string[];
}
const compose = parse(readFileSync(fromRoot('deploy/docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const nginx = readFileSync(fromRoot('deploy/nginx.conf'), 'utf8');
const portas = Object.entries(compose.services).filter(([, s]) => s.image === 'porta');

test('two Porta instances share one PostgreSQL, each with the settings production needs', () => {
  expect(portas.map(([name]) => name)).toEqual(['porta-1', 'porta-2']);
  expect(compose.services.postgres!.image).toMatch(/^postgres:\d+/);
  // Settings of the PostgreSQL and trusted-proxy work that may land separately from config/schema.ts.
  const known = new Set<string>([...Object.values(settings).map((x) => x.env), 'TRUST_PROXY_HOPS']);
  for (const [, s] of portas) {
    const env = s.environment!;
    expect(env.NODE_ENV).toBe('production');
    // Required secrets: compose refuses to start without them (${NAME:?message}).
    for (const name of ['ISSUER', 'COOKIE_KEYS', 'KEYS_ENCRYPTION_SECRET', 'SMTP_URL']) expect(env[name]).toMatch(new RegExp(`^\\$\\{${name}:\\?`));
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\/porta:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432\/porta$/);
    expect(env.TRUST_PROXY).toBe('true');
    expect(env.TRUST_PROXY_HOPS).toBe('1');
    // Metrics on their own port, which is not published: only the internal network reaches it.
    expect(env.METRICS_PORT).toBe('9464');
    expect(s.ports).toBeUndefined();
    for (const name of Object.keys(env)) expect(known).toContain(name);
  }
  expect(compose.services['porta-1']!.environment).toEqual(compose.services['porta-2']!.environment);
  // The second starts after the first has migrated the database and made the signing keys.
  expect(compose.services['porta-1']!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
  expect(compose.services['porta-2']!.depends_on).toEqual({ 'porta-1': { condition: 'service_healthy' } });
  expect(compose.services.redis!.profiles).toEqual(['redis']);
});

test('nginx terminates TLS, balances both instances and sets the forwarded headers TRUST_PROXY expects', () => {
  const proxy = compose.services.nginx!;
  expect(proxy.ports).toEqual(['80:80', '443:443']);
  expect(proxy.volumes).toContain('./nginx.conf:/etc/nginx/conf.d/default.conf:ro');
  expect(nginx).toMatch(/upstream porta \{\s+server porta-1:3000;\s+server porta-2:3000;/);
  expect(nginx).toMatch(/listen 443 ssl;/);
  expect(nginx).toContain('proxy_set_header X-Forwarded-For $remote_addr;');
  expect(nginx).toContain('proxy_set_header X-Forwarded-Proto $scheme;');
  expect(nginx).toContain('proxy_set_header Host $host;');
  expect(nginx).toContain('proxy_set_header X-Forwarded-Host "";');
  expect(nginx).toMatch(/location = \/metrics \{\s+return 404;/);
});
