/**
 * The `kubernetes-secret` destination: one key of a Kubernetes Secret, optionally rolling the
 * Deployments, StatefulSets and DaemonSets that read it.
 *
 * Plain node:https rather than @kubernetes/client-node: we need five requests (get, create and
 * apply a Secret; get and patch a workload), while client-node 2.x brings 16 dependencies
 * (openid-client, ws, tar-fs, socks, its own undici…), runs `exec` credential plugins a
 * kubeconfig names (a kubeconfig would choose programs the worker runs), and does its own
 * redirect and timeout handling, where every other destination refuses redirects and bounds each
 * request in one visible place. kubeconfig.ts reads kubeconfigs the way kubectl does for the
 * credentials we accept (token, token file, client certificate, CA) and refuses the rest by name.
 */
import type { Destination } from '../destination.js';
import { kubernetesSecretDestinationLabel } from './label.js';
import { kubernetesSecretPolicyHooks } from './policy.js';
import type { KubernetesSecretDestinationConfig } from './schema.js';
import { KubernetesSecretStore } from './store.js';

export const kubernetesSecretDestination: Destination<KubernetesSecretDestinationConfig> = {
  createStore: (config, context) => new KubernetesSecretStore(config, context),
  label: kubernetesSecretDestinationLabel,
  ...kubernetesSecretPolicyHooks,
};

export { kubernetesSecretDestinationLabel } from './label.js';
export { SERVICE_ACCOUNT_DIR } from './policy.js';
export { RESTARTED_AT_ANNOTATION, RESTARTED_FOR_ANNOTATION } from './rollout.js';
export {
  IN_CLUSTER_API_SERVER,
  kubernetesSecretDestinationSchema,
  type KubernetesSecretDestinationConfig,
} from './schema.js';
export {
  FIELD_MANAGER,
  keyFieldManager,
  KubernetesSecretStore,
  type KubernetesSecretStoreDeps,
} from './store.js';
