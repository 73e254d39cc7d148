import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * The credential provider of the Lambda bundles. Lambda hands a function its role's
 * credentials in the environment; the SDK's default chain (SSO, STS web identity, IMDS,
 * profiles, …) would add about 130 KB of nested clients to every bundle and be read at every
 * cold start for nothing. The stack's bundling aliases `@aws-sdk/credential-provider-node` to
 * this module (infra/defaults.ts); local mode, tests and the operator CLI keep the full chain.
 */
export const defaultProvider: typeof import('@aws-sdk/credential-provider-node').defaultProvider = (init) => fromEnv(init);
