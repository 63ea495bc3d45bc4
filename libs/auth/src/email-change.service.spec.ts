import { Logger } from '@nestjs/common';
import { authWorld, AuthWorld } from '../../../test/fakes/auth';
import { AuthErrorCode } from './auth-error-codes';
import { User } from './entities/user.entity';

const HOUR = 3_600_000;

describe('EmailChangeService', () => {
  let w: AuthWorld;
  let ada: User;
  let bob: User;

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(async () => {
    w = await authWorld({ AUTH_MAILS_PER_HOUR: '2' });
    ada = await w.seedUser('ada');
    bob = await w.seedUser('bob');
  });

  const self = async (user = ada) => (await w.signIn(user)).principal;
  const emailOf = (id: string) => w.tables.users.find((u) => u.id === id)!.email;

  it('changes nothing until the new address opens its link; then the account moves and the old address is told', async () => {
    expect(await w.emailChange.request(await self(), ada.id, 'ada.new@example.com')).toEqual({
      status: 'pending_verification',
      pendingEmail: 'ada.new@example.com',
    });
    expect(emailOf(ada.id)).toBe(ada.email);
    expect(w.outbox.mails('auth.email_change_requested').map((m) => m.recipient)).toEqual([ada.email]);
    const token = w.tokenFromMail('auth.email_change_confirm', 'ada.new@example.com');
    expect(await w.account.verifyEmail(token)).toEqual({ emailVerified: true });
    expect(emailOf(ada.id)).toBe('ada.new@example.com');
    expect(w.outbox.mails('auth.email_changed').map((m) => m.recipient)).toEqual([ada.email]);
    expect(w.auditRepo.actions('auth.email_change')).toHaveLength(1);
    await expect(w.account.verifyEmail(token)).rejects.toMatchObject({ code: AuthErrorCode.TOKEN_INVALID });
  });

  it('an address that has an account: the same answer, no token, and that owner is told', async () => {
    const answer = await w.emailChange.request(await self(), ada.id, bob.email);
    expect(answer).toEqual({ status: 'pending_verification', pendingEmail: bob.email });
    expect(w.tables.tokens.filter((t) => t.purpose === 'change_email')).toHaveLength(0);
    expect(w.outbox.mails('auth.email_in_use').map((m) => m.recipient)).toEqual([bob.email]);
  });

  it('a newer request replaces the older link; a link expires after a day; the same address is refused', async () => {
    await w.emailChange.request(await self(), ada.id, 'first@example.com');
    const first = w.tokenFromMail('auth.email_change_confirm', 'first@example.com');
    await w.emailChange.request(await self(), ada.id, 'second@example.com');
    await expect(w.account.verifyEmail(first)).rejects.toMatchObject({ code: AuthErrorCode.TOKEN_INVALID });
    const second = w.tokenFromMail('auth.email_change_confirm', 'second@example.com');
    w.clock.advance(25 * HOUR);
    await expect(w.account.verifyEmail(second)).rejects.toMatchObject({ code: AuthErrorCode.TOKEN_INVALID });
    expect(emailOf(ada.id)).toBe(ada.email);
    await expect(w.emailChange.request(await self(), ada.id, ada.email)).rejects.toMatchObject({
      code: AuthErrorCode.EMAIL_UNCHANGED,
    });
  });

  it('the new address taken between the request and the link: refused, the account keeps its address', async () => {
    await w.emailChange.request(await self(), ada.id, 'wanted@example.com');
    const token = w.tokenFromMail('auth.email_change_confirm', 'wanted@example.com');
    await w.seedUser('wanted');
    await expect(w.account.verifyEmail(token)).rejects.toMatchObject({ code: AuthErrorCode.TOKEN_INVALID });
    expect(emailOf(ada.id)).toBe(ada.email);
  });

  it('an admin’s request is audited as the admin’s and says so in the mail', async () => {
    await w.emailChange.request(await self(bob), ada.id, 'ada.moved@example.com');
    expect(w.outbox.mails('auth.email_change_confirm')[0].body).toContain('An administrator asked');
    expect(w.auditRepo.actions('admin.user_email_change')).toMatchObject([{ actorId: bob.id, targetId: ada.id }]);
  });
});
