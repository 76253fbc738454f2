/**
 * Sending mail: nodemailer over SMTP_URL. With no SMTP configured (development), each mail is written as
 * an .eml file under MAIL_DIR and, outside production, its links are logged so a fresh clone can finish a
 * registration. A failed send is reported to the caller, which keeps its data and lets the person resend.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../logger.js';
import { fromRoot } from '../paths.js';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** SMTP_URL plus bounded timeouts, so a hung mail server cannot hold a request for minutes. */
function smtpOptions(url: string) {
  return { url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 } as Parameters<typeof nodemailer.createTransport>[0];
}

export class Mailer {
  private readonly transport: Transporter;
  private readonly toFiles: boolean;

  constructor(private readonly config: Pick<Config, 'smtpUrl' | 'mailFrom' | 'mailDir' | 'nodeEnv'>, private readonly logger: Logger, private readonly counted?: (result: 'sent' | 'failed') => void) {
    this.toFiles = !config.smtpUrl;
    this.transport = this.toFiles
      ? nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
      : nodemailer.createTransport(smtpOptions(config.smtpUrl));
  }

  async send(mail: Mail): Promise<void> {
    let info;
    try {
      info = await this.transport.sendMail({ from: this.config.mailFrom, ...mail });
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

  close(): void {
    this.transport.close();
  }
}
