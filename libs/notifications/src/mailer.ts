import { Injectable, Logger } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Sends one mail. SMTP when `SMTP_URL` is set; otherwise a log line, so a developer can follow the link. */
export abstract class Mailer {
  abstract send(message: MailMessage): Promise<void>;
}

export class SmtpMailer extends Mailer {
  private readonly transport: Transporter;
  constructor(
    url: string,
    private readonly from: string,
  ) {
    super();
    this.transport = createTransport(url);
  }

  async send(message: MailMessage): Promise<void> {
    await this.transport.sendMail({ from: this.from, to: message.to, subject: message.subject, text: message.text });
  }
}

@Injectable()
export class LogMailer extends Mailer {
  private readonly logger = new Logger('Mail');

  async send(message: MailMessage): Promise<void> {
    // Development only (no SMTP_URL): the text holds one-time links, which is the point of this transport.
    this.logger.log(
      { mailTo: message.to, subject: message.subject, text: message.text },
      'mail (no SMTP_URL set: logged instead of sent)',
    );
  }
}
