import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { GoogleProjectServiceIdentity } from '@cdktf/provider-google-beta/lib/google-project-service-identity';
import { GCP_SCHEDULER_AGENT_MEMBER, GCP_SCHEDULER_AGENT_ROLE } from './perms';
import { betaProviderOverride, once } from './private/common';
import { GcpProjectServices } from './project-services';

/**
 * Cloud Scheduler's service agent in `projectId`, made to exist and given its
 * role: Cloud Scheduler enabled (`services.enable`), the agent created on
 * request (`google_project_service_identity`: an agent Google creates lazily
 * would not exist at the first apply) and granted
 * `roles/cloudscheduler.serviceAgent`, the role Google gives an agent it
 * creates itself (it mints the OAuth tokens of a job's service account).
 * Returns what a scheduler job waits for. One per stack and project.
 */
export function bindSchedulerServiceAgent(projectId: string, services: GcpProjectServices): ProjectIamMember {
  const api = services.enable('cloudscheduler.googleapis.com');
  return once(services, 'SchedulerServiceAgentRole', () => {
    const agent = new GoogleProjectServiceIdentity(services, 'SchedulerServiceAgent', { project: projectId, service: 'cloudscheduler.googleapis.com', dependsOn: api });
    betaProviderOverride(agent);
    const project = once(services, 'SchedulerProject', () => new DataGoogleProject(services, 'SchedulerProject', { projectId }));
    return new ProjectIamMember(services, 'SchedulerServiceAgentRole', {
      project: projectId,
      role: GCP_SCHEDULER_AGENT_ROLE,
      member: GCP_SCHEDULER_AGENT_MEMBER(project.number),
      dependsOn: [agent, ...api],
    });
  });
}
