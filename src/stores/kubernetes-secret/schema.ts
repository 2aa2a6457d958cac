/** The config of a `kubernetes-secret` destination. No Node built-ins: the workflow imports the config schema. */
import { z } from 'zod';
import { secretRef, serviceUrl } from '../../fields/field-schemas.js';

/** The API server a pod reaches through the `kubernetes` Service; what the worker policy must list for in-cluster auth. */
export const IN_CLUSTER_API_SERVER = 'https://kubernetes.default.svc';

/** A DNS-1123 subdomain (Secret, Deployment names) or label (namespaces): lower case, digits, `-`, `.`. */
const objectName = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/,
    'expected a Kubernetes object name (lower-case letters, digits, "-" and ".", starting and ending alphanumeric)',
  );

const kubernetesAuth = z.discriminatedUnion('method', [
  /**
   * The pod's service account, like kubectl inside a cluster: the token and CA at
   * /var/run/secrets/kubernetes.io/serviceaccount/, the server from KUBERNETES_SERVICE_HOST/PORT.
   */
  z.object({ method: z.literal('in-cluster') }).strict(),
  z
    .object({
      method: z.literal('kubeconfig'),
      /** Where the kubeconfig file's content is: `{file: PATH}` (usual) or `{env: NAME}` holding the YAML. */
      kubeconfig: secretRef,
      /** Context to use. @default the kubeconfig's current-context */
      context: z.string().min(1).optional(),
      /**
       * The API server the context's cluster names, repeated here so the worker policy can check
       * where credentials go before the kubeconfig is read; the store refuses a kubeconfig whose
       * server differs.
       */
      server: serviceUrl.refine((url) => url.startsWith('https:'), 'a Kubernetes API server is always https'),
    })
    .strict(),
]);

const restartTarget = z
  .object({
    kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet']),
    /** In the Secret's namespace. */
    name: objectName,
  })
  .strict();

export const kubernetesSecretDestinationSchema = z
  .object({
    type: z.literal('kubernetes-secret'),
    namespace: objectName,
    /** Name of the Secret; created (type Opaque) when missing. */
    name: objectName,
    /** Key of the Secret's `data` that holds the API key; other keys are kept. @default "OPENROUTER_API_KEY" */
    key: z
      .string()
      .regex(/^[-._a-zA-Z0-9]{1,253}$/, 'expected a Secret key (letters, digits, "-", "_", ".")')
      .default('OPENROUTER_API_KEY'),
    auth: kubernetesAuth,
    /**
     * Workloads in the namespace to roll after each write (what `kubectl rollout restart` does), so
     * pods that read the key from an environment variable pick up the new one. @default []
     */
    restart: z.array(restartTarget).default([]),
    /**
     * Whether verifying the rotation waits until those rollouts are complete (all replicas updated
     * and available). @default true
     */
    waitForRollout: z.boolean().default(true),
  })
  .strict();

export type KubernetesSecretDestinationConfig = z.infer<typeof kubernetesSecretDestinationSchema>;
export type KubernetesRestartTarget = z.infer<typeof restartTarget>;
