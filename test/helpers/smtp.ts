/**
 * A real SMTP server on 127.0.0.1 (npm smtp-server) that keeps what it receives, parsed.
 * `failNext` makes the server refuse messages, to test what happens when mail is down.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  /** The links in the plain-text part, in order. */
  links: string[];
}

export class SmtpCatcher {
  readonly mails: ReceivedMail[] = [];
  readonly connectionErrors: Error[] = [];
  private refusing = false;
  private waiters: (() => void)[] = [];
  private server!: SMTPServer;
  port = 0;

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (this.refusing) return callback(new Error('451 mailbox unavailable (test)'));
          simpleParser(Buffer.concat(chunks)).then((parsed) => {
            const text = parsed.text ?? '';
            const to = Array.isArray(parsed.to) ? parsed.to[0]?.text : parsed.to?.text;
            this.mails.push({ to: to ?? '', from: parsed.from?.text ?? '', subject: parsed.subject ?? '', text, html: typeof parsed.html === 'string' ? parsed.html : '', links: [...text.matchAll(/https?:\/\/\S+/g)].map((m) => m[0]) });
            this.waiters.splice(0).forEach((w) => w());
            callback();
          }, callback);
        });
      },
    });
    // A client gone mid-conversation (a killed Porta process) is its problem, not the catcher's: without a
    // listener smtp-server would throw the connection's error out of the test.
    this.server.on('error', (err: Error) => this.connectionErrors.push(err));
    await new Promise<void>((ok) => this.server.listen(0, '127.0.0.1', ok));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string { return `smtp://127.0.0.1:${this.port}`; }

  refuse(on: boolean): void { this.refusing = on; }

  /** Mails sent to `address` (ignoring case). */
  to(address: string): ReceivedMail[] {
    return this.mails.filter((m) => m.to.toLowerCase().includes(address.toLowerCase()));
  }

  /** The last mail to `address`; waits (bounded) for it when it is still on its way. */
  async last(address: string, count = 1): Promise<ReceivedMail> {
    for (let i = 0; i < 50 && this.to(address).length < count; i++) {
      await new Promise<void>((ok) => { this.waiters.push(ok); setTimeout(ok, 100); });
    }
    const mails = this.to(address);
    if (mails.length < count) throw new Error(`no mail #${count} to ${address}; got: ${this.mails.map((m) => `${m.to}: ${m.subject}`).join(', ')}`);
    return mails[mails.length - 1]!;
  }

  stop(): Promise<void> {
    return new Promise((ok) => this.server.close(() => ok()));
  }
}
