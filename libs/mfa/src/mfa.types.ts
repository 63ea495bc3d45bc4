/** A mail's subject and text. */
export interface MailText {
  subject: string;
  text: string;
}

/** A second factor proven at login or step-up. */
export type ProvenMethod = 'totp' | 'recoveryCode' | 'webauthn';

/** A factor presented: exactly one of these. */
export interface FactorProof {
  totp?: string;
  recoveryCode?: string;
  /** A WebAuthn assertion (AuthenticationResponseJSON) over a challenge issued for this user. */
  webauthn?: Record<string, unknown>;
}
