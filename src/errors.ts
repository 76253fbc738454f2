/**
 * Porta's own errors: a stable code (also the message id shown to the person), an HTTP status, and
 * `expose` for 4xx. Protocol errors stay oidc-provider's own classes.
 */
import type { MessageKey } from './i18n/index.js';

export class AppError extends Error {
  readonly expose: boolean;
  constructor(readonly code: MessageKey, readonly status = 400, options?: { cause?: unknown }) {
    super(code, options);
    this.name = 'AppError';
    this.expose = status < 500;
  }
}
