import type { DestinationPolicyHooks } from '../destination.js';
import { configuredApiServer } from './label.js';
import type { KubernetesSecretDestinationConfig } from './schema.js';

/** Where the kubelet mounts a pod's service-account token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export const kubernetesSecretPolicyHooks: DestinationPolicyHooks<KubernetesSecretDestinationConfig> = {
  // In-cluster: https://kubernetes.default.svc stands for the API server KUBERNETES_SERVICE_HOST names.
  outboundUrls: (config) => [
    {
      field: config.auth.method === 'kubeconfig' ? 'auth.server' : 'auth.method',
      url: configuredApiServer(config),
      allowedBy: 'kubernetesApiServers',
    },
  ],
  // The pod's own service-account token is a credential too: the policy's credentials.fileRoots must hold it.
  // It is this destination's alone (ownCredentialFolders): no other may send it anywhere.
  credentialRefs: ({ auth }) =>
    auth.method === 'kubeconfig'
      ? [{ field: 'auth.kubeconfig', ref: auth.kubeconfig }]
      : [{ field: 'auth.method', ref: { file: `${SERVICE_ACCOUNT_DIR}/token` } }],
  writtenPaths: () => [],
  ownCredentialFolders: [{ folder: SERVICE_ACCOUNT_DIR, what: "the pod's service-account token folder" }],
  targets: (config) => [
    {
      field: 'name',
      what: 'Kubernetes Secret',
      target: `${config.namespace}/${config.name}`,
      allowedBy: 'kubernetesSecrets',
    },
    ...config.restart.map((workload, i) => ({
      field: `restart[${i}]`,
      what: `Kubernetes ${workload.kind}`,
      target: `${config.namespace}/${workload.kind}/${workload.name}`,
      allowedBy: 'kubernetesRestartTargets' as const,
    })),
  ],
};
