import { Injectable, Optional } from '@nestjs/common';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import type * as Common from '@zxcvbn-ts/language-common';
import type * as En from '@zxcvbn-ts/language-en';
import { BreachedPasswords } from './breached-passwords';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;
export const MIN_SCORE = 3;

export interface PolicyResult {
  ok: boolean;
  score: number;
  suggestions: string[];
}

/** Levenshtein distance, bounded: returns max + 1 as soon as it is exceeded. */
export function editDistance(a: string, b: string, max = 3): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, cur[j]);
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

/**
 * NIST/OWASP-style policy: 12–128 characters, no composition rules, no truncation; zxcvbn score ≥ 3 with the common
 * and English dictionaries (which include breached-password lists); and not the user's own email local part or
 * username, nor a small edit of them.
 */
@Injectable()
export class PasswordPolicy {
  private factory?: ZxcvbnFactory;

  /**
   * The dictionaries (a few MB of word lists) load on the first check, not at start-up: most starts never judge a
   * password before they are ready, and cold start stays short.
   */
  private get zxcvbn(): ZxcvbnFactory {
    if (!this.factory) {
      /* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, on purpose */
      const common = require('@zxcvbn-ts/language-common') as typeof Common;
      const en = require('@zxcvbn-ts/language-en') as typeof En;
      /* eslint-enable @typescript-eslint/no-require-imports */
      this.factory = new ZxcvbnFactory({
        dictionary: { ...common.dictionary, ...en.dictionary },
        graphs: common.adjacencyGraphs,
        translations: en.translations,
      });
    }
    return this.factory;
  }

  /** `breached`: the breached-password lists (absent in unit tests that build the policy alone: nothing is breached). */
  constructor(@Optional() private readonly breached?: BreachedPasswords) {}

  /** Whether the password is in a breached-password list (ASVS 5.0 6.2.12); see BreachedPasswords. */
  isBreached(password: string): Promise<boolean> {
    return this.breached ? this.breached.isBreached(password) : Promise.resolve(false);
  }

  check(password: string, user: { email?: string; username?: string }): PolicyResult {
    const suggestions: string[] = [];
    const personal = [user.email?.split('@')[0], user.username]
      .filter((v): v is string => !!v && v.length >= 3)
      .map((v) => v.toLowerCase());
    if (password.length < PASSWORD_MIN_LENGTH)
      suggestions.push(`Use at least ${PASSWORD_MIN_LENGTH} characters; a few unrelated words work well.`);
    if (password.length > PASSWORD_MAX_LENGTH) suggestions.push(`Use at most ${PASSWORD_MAX_LENGTH} characters.`);
    const lower = password.toLowerCase();
    if (personal.some((p) => lower.includes(p) || editDistance(lower, p) <= 2)) {
      suggestions.push('Do not use your email address or username in your password.');
    }
    const result = this.zxcvbn.check(password.slice(0, PASSWORD_MAX_LENGTH), personal);
    if (result.score < MIN_SCORE) {
      suggestions.push(...(result.feedback.warning ? [result.feedback.warning] : []), ...result.feedback.suggestions);
      if (!result.feedback.suggestions.length) suggestions.push('Add another word or two; uncommon words are better.');
    }
    return { ok: suggestions.length === 0, score: result.score, suggestions: [...new Set(suggestions)] };
  }
}
