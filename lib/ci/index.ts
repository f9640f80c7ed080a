// Public API of `cdktf-mlops/ci`: the keyless GitHub CI identity from the
// config's `ci:` section, and the GitHub repository and subject types. The
// cloud's own constructs (`AwsGithubCiIdentity`, …) come from
// `cdktf-mlops/<cloud>`; `createCiIdentity` loads the platform's cloud on use.
export { CI_LOGIN_VALUES, githubSubjects } from './github';
export type { CiLoginValue, GithubRepositoryProps, GithubSubject, GithubSubjectKind } from './github';
export { ciOptionsFromConfig, createCiIdentity } from './factory';
export type { CiIdentity, CiIdentityOptions } from './factory';
