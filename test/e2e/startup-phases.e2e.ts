import { startTestApp } from '../support/app';

describe('start-up phases', () => {
  it('logs how long each phase took, at debug level, once listening', async () => {
    const t = await startTestApp({ env: { LOG_LEVEL: 'debug' } });
    try {
      const line = t.logs.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.msg === 'startup phases');
      expect(line?.level).toBe(20);
      const phases = line!.phasesMs as Record<string, number>;
      expect(Object.keys(phases)).toEqual(['modules', 'config', 'secrets', 'database', 'nest', 'http', 'listen']);
      for (const ms of Object.values(phases)) expect(ms).toBeGreaterThanOrEqual(0);
    } finally {
      await t.stop();
    }
  });
});
