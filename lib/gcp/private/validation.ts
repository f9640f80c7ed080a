import { Token } from 'cdktf';
import { ErrorCode, messages } from '../../core/errors';
import { PropChecks } from '../../core/validate';

const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/** Records a problem when `projectId` is not a valid GCP project id. */
export function checkProjectId(check: PropChecks, projectId: unknown): void {
  const { issues, construct, path } = check;
  if (typeof projectId === 'string' && Token.isUnresolved(projectId)) return;
  if (typeof projectId !== 'string' || !PROJECT_ID.test(projectId)) {
    issues.add(
      ErrorCode.PROP_INVALID,
      path,
      messages.propInvalid(construct, 'projectId', projectId, 'a GCP project id: 6-30 lowercase letters, digits and hyphens, starting with a letter (e.g. "acme-ml-dev")'),
    );
  }
}
