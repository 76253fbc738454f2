/**
 * Sending mail: nodemailer over SMTP_URL. With no SMTP configured (development), each mail is written as
 * an .eml file under MAIL_DIR and, outside production, its links are logged so a fresh clone can finish a
 * registration. A failed send is reported to the caller, which keeps its data and lets the person resend.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../logger.js';
import { emailKey } from '../accounts/account.js';
import { fromRoot } from '../paths.js';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /**
   * A notice nobody asked for (someone tried to register with the address, the account was locked, the
   * password or address changed…): at most NOTICES_PER_RECIPIENT_PER_DAY to one address, so a stranger
   * cannot flood it. Links a person asked for have their own limits.
   */
  notice?: boolean;
}

/** SMTP_URL plus bounded timeouts, so a hung mail server cannot hold a request for minutes. */
function smtpOptions(url: string) {
  return { url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 } as Parameters<typeof nodemailer.createTransport>[0];
}

export class Mailer {
  private readonly transport: Transporter;
  private readonly toFiles: boolean;

  private readonly notices?: RateLimiterAbstract;
  private readonly counted?: (result: 'sent' | 'failed') => void;

  /**
   * `notices`: the per-recipient daily limiter (points = NOTICES_PER_RECIPIENT_PER_DAY); without it notices
   * are not bounded. `counted`: told of every mail sent or failed (metrics).
   */
  constructor(private readonly config: Pick<Config, 'smtpUrl' | 'mailFrom' | 'mailDir' | 'nodeEnv'>, private readonly logger: Logger,
    hooks: { notices?: RateLimiterAbstract; counted?: (result: 'sent' | 'failed') => void } = {}) {
    this.notices = hooks.notices;
    this.counted = hooks.counted;
    this.toFiles = !config.smtpUrl;
    this.transport = this.toFiles
      ? nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
      : nodemailer.createTransport(smtpOptions(config.smtpUrl));
  }

  /** Sends the mail; a notice over its recipient's daily limit is dropped (logged) instead. */
  async send(mail: Mail): Promise<void> {
    const { notice, ...message } = mail;
    if (notice && !(await this.noticeAllowed(mail.to))) {
      this.logger.warn({ subject: mail.subject }, 'notice not sent: daily limit for this recipient reached');
      return;
    }
    let info;
    try {
      info = await this.transport.sendMail({ from: this.config.mailFrom, ...message });
    } catch (err) {
      this.counted?.('failed');
      throw err;
    }
    this.counted?.('sent');
    if (this.toFiles) {
      const dir = resolve(fromRoot(), this.config.mailDir);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${String(info.messageId).replace(/[^\w.-]/g, '')}.eml`);
      writeFileSync(file, (info as unknown as { message: Buffer }).message);
      // Development convenience only: a production log never holds a link with a token.
      const links = this.config.nodeEnv === 'production' ? undefined : [...mail.text.matchAll(/https?:\/\/\S+/g)].map((m) => m[0]);
      this.logger.info({ file, subject: mail.subject, links }, 'mail written to file (no SMTP_URL configured)');
    }
  }

  /** One point of the recipient's daily allowance, spent atomically; the key is a hash, not the address. */
  private async noticeAllowed(to: string): Promise<boolean> {
    if (!this.notices) return true;
    const key = createHash('sha256').update(emailKey(to)).digest('base64url');
    try {
      await this.notices.consume(key);
      return true;
    } catch (err) {
      if (err instanceof RateLimiterRes) return false;
      throw err;
    }
  }

  close(): void {
    this.transport.close();
  }
}
