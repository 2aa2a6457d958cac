import { IN_CLUSTER_API_SERVER, type KubernetesSecretDestinationConfig } from './schema.js';

/**
 * `kubernetes-secret:<server host>/<namespace>/<name>#<key>`: the host tells apart two clusters
 * holding a Secret of the same name (in-cluster: kubernetes.default.svc).
 */
export function kubernetesSecretDestinationLabel(config: KubernetesSecretDestinationConfig): string {
  return `kubernetes-secret:${apiServerHost(config)}/${config.namespace}/${config.name}#${config.key}`;
}

/** The API server the config names: the in-cluster name, or the kubeconfig auth's `server`. */
export function configuredApiServer(config: KubernetesSecretDestinationConfig): string {
  return config.auth.method === 'kubeconfig' ? config.auth.server : IN_CLUSTER_API_SERVER;
}

function apiServerHost(config: KubernetesSecretDestinationConfig): string {
  const server = configuredApiServer(config);
  return URL.canParse(server) ? new URL(server).host : server;
}
