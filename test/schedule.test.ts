/** Schedules (lib/core/schedule.ts) and the continuous-training config rules (lib/config/load.ts). */
import { cronProblem, timeZoneProblem, toEventBridgeCron } from '../lib/core/schedule';
import { parseConfig } from '../lib/config/load';
import { configIssues, validConfig } from './util';

describe('cron expressions', () => {
  test.each(['0 3 * * *', '*/15 * * * *', '0 0 1 JAN,jul *', '30 6 * * MON-FRI', '0 8-18/2 * * 1-5', '59 23 31 12 6'])('accepts %s', (cron) => {
    expect(cronProblem(cron)).toBeUndefined();
  });

  test.each([
    ['0 3 * *', /has 4 fields; a schedule has five/],
    ['0 3 * * * *', /has 6 fields/],
    ['60 3 * * *', /field 1 \(minute\) "60" is not valid/],
    ['0 24 * * *', /field 2 \(hour\)/],
    ['0 0 0 * *', /field 3 \(day of month\)/],
    ['0 0 * 13 *', /field 4 \(month\)/],
    ['0 0 * * 7', /field 5 \(day of week\) "7" is not valid: use \*, a number from 0 to 6 or a name \(SUN…\)/],
    ['0 0 * * FUN', /field 5/],
    ['0 5-2 * * *', /field 2/],
    ['*/0 * * * *', /field 1/],
    ['0 3 ? * *', /field 3/],
  ])('refuses %s', (cron, message) => {
    expect(cronProblem(cron)).toMatch(message);
  });

  test.each([
    ['0 3 * * *', 'cron(0 3 * * ? *)'],
    ['30 6 * * 1-5', 'cron(30 6 ? * 2-6 *)'],
    ['0 12 * * 0,6', 'cron(0 12 ? * 1,7 *)'],
    ['0 0 1 * *', 'cron(0 0 1 * ? *)'],
    ['*/10 8-18 * * MON-FRI', 'cron(*/10 8-18 ? * MON-FRI *)'],
  ])('EventBridge dialect: %s → %s', (cron, expected) => {
    expect(toEventBridgeCron(cron)).toBe(expected);
  });

  test('EventBridge cannot say "day of month OR day of week"', () => {
    expect(() => toEventBridgeCron('0 0 1 * 1')).toThrow(/sets both day-of-month and day-of-week.*set the other to \*/);
  });

  test('time zones are IANA names', () => {
    expect(timeZoneProblem('Europe/Berlin')).toBeUndefined();
    expect(timeZoneProblem('UTC')).toBeUndefined();
    expect(timeZoneProblem('W. Europe Standard Time')).toMatch(/not an IANA time zone name/);
    // Aliases and other spellings ICU accepts, beyond its canonical list: the same answer as a formatter gives.
    for (const zone of ['US/Eastern', 'Etc/UTC', 'GMT', 'europe/berlin', 'Asia/Kolkata', 'Asia/Calcutta']) expect(timeZoneProblem(zone)).toBeUndefined();
    for (const zone of ['Mars/Olympus_Mons', 'Europe/Berlin ', '']) expect(timeZoneProblem(zone)).toMatch(/not an IANA time zone name/);
  });
});

describe('continuous-training config rules', () => {
  const withDeployment = (cloud: 'aws' | 'azure' | 'gcp', extra: Record<string, unknown>) => {
    const raw = validConfig(cloud);
    raw.deployment = { model: 'bike-demand', training: { data: 'datasets/x.csv' }, ...extra };
    return raw;
  };

  test.each(['schedule', 'batch'])('%s without a pipeline is refused, naming the field and the fix', (key) => {
    const value = key === 'schedule' ? { cron: '0 3 * * *' } : { input: 'batch/x/' };
    const issues = configIssues(withDeployment('gcp', { [key]: value }));
    expect(issues).toEqual([expect.objectContaining({ path: `deployment.${key}`, message: expect.stringContaining('add deployment.pipeline: { file: <pipeline.yaml> }') })]);
  });

  test('a bad cron and a bad time zone name their paths', () => {
    const issues = configIssues(withDeployment('azure', { pipeline: { file: 'p.yaml' }, schedule: { cron: '0 3 * *', timeZone: 'Mars/Base' } }));
    expect(issues.map((i) => i.path).sort()).toEqual(['deployment.schedule.cron', 'deployment.schedule.timeZone']);
  });

  test('on AWS a schedule with both day fields is refused (EventBridge takes one); elsewhere it is accepted', () => {
    const both = { pipeline: { file: 'p.yaml' }, schedule: { cron: '0 3 1 * MON' } };
    expect(configIssues(withDeployment('aws', both))).toEqual([
      expect.objectContaining({ path: 'deployment.schedule.cron', message: expect.stringContaining('set day-of-month or day-of-week to *') }),
    ]);
    expect(parseConfig(withDeployment('gcp', both)).deployment?.schedule).toEqual({ cron: '0 3 1 * MON', timeZone: 'UTC' });
  });

  test('the pipeline fields take their defaults', () => {
    const d = parseConfig(withDeployment('gcp', { pipeline: { file: 'p.yaml' }, schedule: { cron: '0 3 * * *' }, batch: { input: 'batch/x/' } })).deployment!;
    expect(d.pipeline).toEqual({ file: 'p.yaml', inputs: {}, params: {}, skip: [] });
    expect(d.schedule).toEqual({ cron: '0 3 * * *', timeZone: 'UTC' });
    expect(d.batch).toEqual({ input: 'batch/x/' });
  });

  test('deployment.retrainOnDrift (removed) is refused with what replaced it: a drift step in the pipeline file, its psi from deployment.pipeline.params', () => {
    const issues = configIssues(withDeployment('aws', { pipeline: { file: 'p.yaml' }, retrainOnDrift: { psi: 0.2 } }));
    expect(issues).toEqual([
      expect.objectContaining({ path: 'deployment.retrainOnDrift', message: expect.stringMatching(/^was removed: retraining on drift is now a drift step/) }),
    ]);
    expect(issues[0]!.message).toMatch(/Fix: remove deployment\.retrainOnDrift and add a step `uses: drift`.*deployment\.pipeline\.params\.psi/);
  });
});
