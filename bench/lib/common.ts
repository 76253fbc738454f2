/** What the Porta run and the bare oidc-provider run share: the client, the API, the password scheme. */
import { readFileSync } from 'node:fs';
import { fromRoot } from '../../src/paths.js';

export const CLIENTS_FILE = fromRoot('bench/clients.json');
const [benchClient] = JSON.parse(readFileSync(CLIENTS_FILE, 'utf8')) as { client_id: string; client_secret: string; redirect_uris: string[] }[];
export const CLIENT_ID = benchClient!.client_id;
export const CLIENT_SECRET = benchClient!.client_secret;
export const REDIRECT_URI = benchClient!.redirect_uris[0]!;
export const BASIC_AUTH = `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64')}`;

/** The API a client_credentials token is asked for: its access tokens are ES256 JWTs. */
export const API_RESOURCE = 'https://api.bench.test';
export const API_SCOPE = 'courses:read';
export const RESOURCE_SERVERS = JSON.stringify({ [API_RESOURCE]: { scope: `${API_SCOPE} courses:write` } });

/** Every seeded user has their own password, so a sign-in cannot hit a cached answer. */
export const username = (i: number) => `bench.user${i}`;
export const password = (i: number) => `bench-password-${i}-Xq7!`;
