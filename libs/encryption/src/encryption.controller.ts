import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, CurrentPrincipal, Principal, RequireScopes } from '@app/core';
import { CiphertextDto, EncryptDto, HmacDto, RetireDto, VerifyHmacDto } from './dto/encryption.dto';
import {
  KeyringRetirementView,
  KeyringRewrapView,
  KeyringStatusView,
  TransitCiphertextView,
  TransitHmacVerificationView,
  TransitHmacView,
  TransitPlaintextView,
} from './dto/encryption.response';
import { EncryptionService } from './encryption.service';
import { KeyringAdminService } from './keyring-admin.service';
import { EncryptionErrorCode } from './encryption-error-codes';

@ApiTags('crypto')
@Controller()
export class EncryptionController {
  constructor(
    private readonly encryption: EncryptionService,
    private readonly keyringAdmin: KeyringAdminService,
  ) {}

  @Post('crypto/encrypt')
  @RequireScopes('crypto:encrypt')
  @HttpCode(200)
  @ApiOperation({ summary: 'Encrypt (AES-256-GCM, current key version) bound to your context' })
  @ApiOkResponse({ type: TransitCiphertextView, description: 'The envelope, under the current key version' })
  encrypt(@CurrentPrincipal() p: Principal, @Body() dto: EncryptDto) {
    return this.encryption.encrypt(p, dto.context, dto.plaintext);
  }

  @Post('crypto/decrypt')
  @RequireScopes('crypto:decrypt')
  @HttpCode(200)
  @ApiOperation({ summary: 'Decrypt a ciphertext made for your context' })
  @ApiProblems(EncryptionErrorCode.DECRYPTION_FAILED)
  @ApiOkResponse({ type: TransitPlaintextView, description: 'The plaintext' })
  decrypt(@CurrentPrincipal() p: Principal, @Body() dto: CiphertextDto) {
    return this.encryption.decrypt(p, dto.context, dto.ciphertext);
  }

  @Post('crypto/rewrap')
  @RequireScopes('crypto:rewrap')
  @HttpCode(200)
  @ApiOperation({ summary: 'Re-encrypt under the current key version without revealing the plaintext' })
  @ApiProblems(EncryptionErrorCode.DECRYPTION_FAILED)
  @ApiOkResponse({
    type: TransitCiphertextView,
    description: 'A new envelope of the same plaintext, under the current key version',
  })
  rewrapOne(@CurrentPrincipal() p: Principal, @Body() dto: CiphertextDto) {
    return this.encryption.rewrap(p, dto.context, dto.ciphertext);
  }

  @Post('crypto/hmac')
  @RequireScopes('crypto:hmac')
  @HttpCode(200)
  @ApiOperation({ summary: 'HMAC-SHA-256 of data under your context' })
  @ApiOkResponse({ type: TransitHmacView, description: 'The MAC' })
  hmac(@CurrentPrincipal() p: Principal, @Body() dto: HmacDto) {
    return this.encryption.hmac(p, dto.context, dto.data);
  }

  @Post('crypto/verify')
  @RequireScopes('crypto:hmac')
  @HttpCode(200)
  @ApiOperation({ summary: 'Verify an HMAC in constant time' })
  @ApiOkResponse({
    type: TransitHmacVerificationView,
    description: 'Whether the MAC is valid (an invalid MAC is not an error)',
  })
  verify(@CurrentPrincipal() p: Principal, @Body() dto: VerifyHmacDto) {
    return this.encryption.verify(p, dto.context, dto.data, dto.mac);
  }

  @Get('admin/keyring')
  @RequireScopes('admin:all')
  @ApiOperation({
    summary: 'Key versions, which encrypts and decrypts, encryptions and ciphertexts per version, rewrap progress',
  })
  @ApiOkResponse({ type: KeyringStatusView, description: 'The keyring' })
  keyring() {
    return this.keyringAdmin.status();
  }

  @Post('admin/keyring/rewrap')
  @RequireScopes('admin:all')
  @HttpCode(202)
  @ApiOperation({ summary: 'Start moving every ciphertext to the current key version (batches, resumable)' })
  @ApiAcceptedResponse({
    type: KeyringRewrapView,
    description:
      'The run goes on in the background, one at a time: the answer is that run (`running`; `remaining` may still be null while it counts). Poll GET /admin/keyring for progress.',
  })
  rewrap(@CurrentPrincipal() p: Principal) {
    return this.keyringAdmin.startRewrap(p);
  }

  @Post('admin/keyring/retire')
  @RequireScopes('admin:all')
  @HttpCode(200)
  @ApiOperation({ summary: 'Retire key versions up to one (refused while ciphertexts still use them)' })
  @ApiProblems(EncryptionErrorCode.KEY_VERSION_NOT_RETIRABLE, EncryptionErrorCode.KEY_VERSION_IN_USE)
  @ApiOkResponse({ type: KeyringRetirementView, description: 'The versions are retired on every instance' })
  retire(@CurrentPrincipal() p: Principal, @Body() dto: RetireDto) {
    return this.keyringAdmin.retire(p, dto.version);
  }
}
