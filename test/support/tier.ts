import { FULL_SUITE } from './test-env';

export { FULL_SUITE, SLOW_TIER_NOTE } from './test-env';

/** A test of the slow tier: listed as skipped in a default run, run in the full suite (see test-env.ts). */
export const itSlow: jest.It = FULL_SUITE ? it : it.skip;

/** A block of the slow tier: listed as skipped in a default run, run in the full suite (see test-env.ts). */
export const describeSlow: jest.Describe = FULL_SUITE ? describe : describe.skip;
