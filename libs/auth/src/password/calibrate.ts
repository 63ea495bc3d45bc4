import { argon2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Argon2Params, OWASP_ARGON2 } from './password-hasher';

export interface CalibrationRow extends Argon2Params {
  medianMs: number;
}

export interface Calibration {
  targetMs: number;
  rows: CalibrationRow[];
  recommended: CalibrationRow;
  /** True when even the OWASP minimum takes longer than the target on this machine. */
  targetBelowMinimum: boolean;
}

/** OWASP-equivalent minimum settings (p=1), weakest first: never recommend below these. */
const CANDIDATES: Argon2Params[] = [
  { memoryCost: 19456, timeCost: 2, parallelism: 1 },
  { memoryCost: 47104, timeCost: 1, parallelism: 1 },
  { memoryCost: 19456, timeCost: 3, parallelism: 1 },
  { memoryCost: 47104, timeCost: 2, parallelism: 1 },
  { memoryCost: 65536, timeCost: 2, parallelism: 1 },
  { memoryCost: 65536, timeCost: 3, parallelism: 1 },
  { memoryCost: 131072, timeCost: 2, parallelism: 1 },
  { memoryCost: 131072, timeCost: 3, parallelism: 1 },
  { memoryCost: 262144, timeCost: 3, parallelism: 1 },
];

const computeArgon2 = promisify(argon2);

/** Median time of one Argon2id hash with the built-in implementation the service hashes with (PasswordHasher). */
async function medianMs(params: Argon2Params, samples: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = process.hrtime.bigint();
    await computeArgon2('argon2id', {
      message: `calibration-${i}`,
      nonce: randomBytes(16),
      memory: params.memoryCost,
      passes: params.timeCost,
      parallelism: params.parallelism,
      tagLength: 32,
    });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * Measures Argon2id on this machine and recommends the strongest candidate whose median time stays within the
 * target. Never recommends below the OWASP parameters, even when the machine is slower than the target.
 */
export async function calibrateArgon2(
  targetMs: number,
  samples = 5,
  onRow?: (row: CalibrationRow) => void,
): Promise<Calibration> {
  const rows: CalibrationRow[] = [];
  for (const params of CANDIDATES) {
    const row = { ...params, medianMs: await medianMs(params, samples) };
    rows.push(row);
    onRow?.(row);
    if (row.medianMs > targetMs * 2) break;
  }
  const fitting = rows.filter((r) => r.medianMs <= targetMs);
  const recommended = fitting.length ? fitting[fitting.length - 1] : { ...OWASP_ARGON2, medianMs: rows[0].medianMs };
  return { targetMs, rows, recommended, targetBelowMinimum: fitting.length === 0 };
}
