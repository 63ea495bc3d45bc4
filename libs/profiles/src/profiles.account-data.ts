import { Injectable, OnModuleInit } from '@nestjs/common';
import { AccountData, AccountDataPart, Principal } from '@app/core';
import type { ProfileView } from './dto/profile.response';
import { ProfilesService } from './profiles.service';

/** The profile, revealed, in the export (an audited reveal); erasure removes it with the account (cascade). */
@Injectable()
export class ProfilesAccountData implements AccountDataPart, OnModuleInit {
  readonly name = 'profile';
  readonly order = 20;

  constructor(
    private readonly profiles: ProfilesService,
    private readonly registry: AccountData,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  export(p: Principal): Promise<ProfileView> {
    return this.profiles.get(p, p.userId, true);
  }
}
