/**
 * The start gate of an AWS pipeline: a Step Functions state machine (AWS SDK
 * service integrations only) that starts a run of the training pipeline
 * unless one is executing or stopping. The schedule (and a run by hand)
 * starts this machine instead of the pipeline: SageMaker has no limit on
 * concurrent executions of one pipeline (ParallelismConfiguration limits the
 * steps inside a run), and two overlapping runs would both pass their gates,
 * both upload the registry folder (last writer wins) and both register.
 *
 *   ListPipelineExecutions (newest first) → no run at all? → start
 *   → any of them Executing or Stopping? → succeed without starting (Skipped)
 *   → StartPipelineExecution (idempotent per start-machine execution) → succeed
 *
 * Residual window: two executions of this machine within the time between
 * one's ListPipelineExecutions and its StartPipelineExecution (well under a
 * second) can both start; the schedule starts at most one execution per tick
 * (no retries), so this needs a hand start at the same instant.
 */

/** What the state machine needs. */
export interface StartMachineInput {
  /** The training pipeline's name. */
  readonly pipelineName: string;
}

/** The ListPipelineExecutions page size (its maximum): runs older than the newest this many are not looked at. */
export const START_GATE_LOOKBACK = 100;
/** The pipeline execution statuses that block a new run (SageMaker `PipelineExecutionStatus`). */
export const RUNNING_STATUSES = ['Executing', 'Stopping'] as const;

const SDK = (action: string): string => `arn:aws:states:::aws-sdk:sagemaker:${action}`;

/** The state machine definition (Amazon States Language, JSONPath). */
export function startMachineDefinition(d: StartMachineInput): Record<string, unknown> {
  const flags = Object.fromEntries(RUNNING_STATUSES.map((s) => [`${s.toLowerCase()}.$`, `States.ArrayContains($.runs.statuses, '${s}')`]));
  return {
    Comment: `Starts pipeline ${d.pipelineName} unless a run of it is ${RUNNING_STATUSES.join(' or ')} (overlapping runs would both register and deploy).`,
    StartAt: 'ListRuns',
    States: {
      ListRuns: {
        Type: 'Task',
        Resource: SDK('listPipelineExecutions'),
        Parameters: { PipelineName: d.pipelineName, SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: START_GATE_LOOKBACK },
        ResultPath: '$.list',
        Next: 'AnyRuns',
      },
      // The statuses are read only from a non-empty list: an index checks presence (a reference path), a wildcard would run on nothing.
      AnyRuns: {
        Type: 'Choice',
        Choices: [{ Variable: '$.list.PipelineExecutionSummaries[0]', IsPresent: true, Next: 'Statuses' }],
        Default: 'StartRun',
      },
      Statuses: {
        Type: 'Pass',
        Parameters: { 'statuses.$': '$.list.PipelineExecutionSummaries[*].PipelineExecutionStatus' },
        ResultPath: '$.runs',
        Next: 'Flags',
      },
      Flags: { Type: 'Pass', Parameters: flags, ResultPath: '$.running', Next: 'IsRunning' },
      IsRunning: {
        Type: 'Choice',
        Choices: [{ Or: RUNNING_STATUSES.map((s) => ({ Variable: `$.running.${s.toLowerCase()}`, BooleanEquals: true })), Next: 'Skipped' }],
        Default: 'StartRun',
      },
      Skipped: { Type: 'Succeed', Comment: `A run of ${d.pipelineName} is ${RUNNING_STATUSES.join(' or ')}: no second run is started.` },
      StartRun: {
        Type: 'Task',
        Resource: SDK('startPipelineExecution'),
        Parameters: {
          PipelineName: d.pipelineName,
          // 64 hex characters (SageMaker wants 32-128), the same for a retry of this execution: at most one run per start.
          'ClientRequestToken.$': "States.Hash($$.Execution.Id, 'SHA-256')",
          'PipelineExecutionDescription.$': "States.Format('Started by {} (no run was executing).', $$.Execution.Id)",
        },
        ResultSelector: { 'pipelineExecutionArn.$': '$.PipelineExecutionArn' },
        ResultPath: '$.started',
        End: true,
      },
    },
  };
}
