import { Injectable } from '@nestjs/common';
import { AuthErrorCode, AuthException } from './auth-error-codes';
import { AuthRepository } from './auth.repository';
import { userView } from './user-view';
import type { UserView } from './dto/user.response';
import { PrincipalCache } from './principal-cache';

/**
 * The user as `GET /v1/me` shows it, from the in-process cache when warm (no statement). Every change to what the view
 * shows (scopes, verification, password change or reset, disabling, erasure) is announced on the user topic, which
 * drops the entry here and, through LISTEN/NOTIFY, on every other instance.
 */
@Injectable()
export class UserViews {
  constructor(
    private readonly repo: AuthRepository,
    private readonly cache: PrincipalCache,
  ) {}

  view(userId: string): Readonly<UserView> | Promise<Readonly<UserView>> {
    return this.cache.user(userId) ?? this.load(userId);
  }

  private async load(userId: string): Promise<Readonly<UserView>> {
    const generation = this.cache.generation;
    const user = await this.repo.findById(userId);
    if (!user) throw new AuthException(AuthErrorCode.USER_NOT_FOUND, 'No such user.');
    const view = userView(user);
    this.cache.setUser(userId, view, generation);
    return view;
  }
}
