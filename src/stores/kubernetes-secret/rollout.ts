/**
 * `kubectl rollout restart` and `kubectl rollout status` for the workloads a Kubernetes Secret
 * destination names: a pod-template annotation patch after each write, and the completeness rules
 * kubectl applies when it waits.
 */
import { z } from 'zod';
import { DestinationError } from '../../errors/rotator-errors.js';
import type { KubernetesRestartTarget } from './schema.js';

/** What `kubectl rollout restart` sets; a changed pod template makes the controller roll the pods. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
/**
 * Which write last rolled the workload (that write's idempotency token): a retried write finds
 * its own token and does not roll the pods a second time.
 */
export const RESTARTED_FOR_ANNOTATION = 'openrouter-key-rotator/restarted-for';

const PLURAL: Record<KubernetesRestartTarget['kind'], string> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
};

export function workloadPath(namespace: string, target: KubernetesRestartTarget): string {
  return `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/${PLURAL[target.kind]}/${encodeURIComponent(target.name)}`;
}

/** The RBAC resource name of a kind, for messages: `deployments.apps`. */
export function workloadResource(target: KubernetesRestartTarget): string {
  return `${PLURAL[target.kind]}.apps`;
}

const workload = z
  .object({
    metadata: z.object({ generation: z.number().optional() }).loose(),
    spec: z
      .object({
        replicas: z.number().optional(),
        updateStrategy: z.object({ type: z.string().optional() }).loose().optional(),
        template: z
          .object({
            metadata: z
              .object({ annotations: z.record(z.string(), z.string()).optional() })
              .loose()
              .optional(),
          })
          .loose()
          .optional(),
      })
      .loose(),
    status: z
      .object({
        observedGeneration: z.number().optional(),
        replicas: z.number().optional(),
        updatedReplicas: z.number().optional(),
        availableReplicas: z.number().optional(),
        readyReplicas: z.number().optional(),
        currentRevision: z.string().optional(),
        updateRevision: z.string().optional(),
        desiredNumberScheduled: z.number().optional(),
        updatedNumberScheduled: z.number().optional(),
        numberAvailable: z.number().optional(),
        conditions: z.array(z.object({ type: z.string(), reason: z.string().optional() }).loose()).optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

export type Workload = z.infer<typeof workload>;

export function parseWorkload(body: unknown, description: string, target: KubernetesRestartTarget): Workload {
  const parsed = workload.safeParse(body);
  if (!parsed.success) {
    throw new DestinationError(description, `unexpected answer reading ${target.kind} ${target.name}`);
  }
  return parsed.data;
}

/** The write whose restart the workload's pod template carries, if any. */
export function restartedFor(w: Workload): string | undefined {
  return w.spec.template?.metadata?.annotations?.[RESTARTED_FOR_ANNOTATION];
}

/** The merge patch `kubectl rollout restart` sends, plus which write it is for. */
export function restartPatch(writeToken: string, at: Date): unknown {
  const restartedAt = at.toISOString().replace(/\.\d{3}Z$/, 'Z'); // RFC 3339, as kubectl writes it
  return {
    spec: {
      template: {
        metadata: {
          annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt, [RESTARTED_FOR_ANNOTATION]: writeToken },
        },
      },
    },
  };
}

export type RolloutState = { done: true } | { done: false; waitingFor: string } | { failed: string };

/**
 * Whether the workload's latest pod template runs everywhere it should, by kubectl's
 * `rollout status` rules: the controller has seen the latest generation, every replica is updated
 * and available, no old replica is left.
 */
export function rolloutState(target: KubernetesRestartTarget, w: Workload): RolloutState {
  const status = w.status ?? {};
  const generation = w.metadata.generation ?? 0;
  if ((status.observedGeneration ?? 0) < generation) {
    return { done: false, waitingFor: 'the controller to see the new pod template' };
  }
  const n = (v: number | undefined) => v ?? 0;
  switch (target.kind) {
    case 'Deployment': {
      if (
        status.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded')
      ) {
        return { failed: 'its progress deadline was exceeded (kubectl rollout status reports the same)' };
      }
      const desired = w.spec.replicas ?? 1;
      if (n(status.updatedReplicas) < desired) {
        return { done: false, waitingFor: `${n(status.updatedReplicas)} of ${desired} replicas updated` };
      }
      if (n(status.replicas) > n(status.updatedReplicas)) {
        return {
          done: false,
          waitingFor: `${n(status.replicas) - n(status.updatedReplicas)} old replicas to stop`,
        };
      }
      if (n(status.availableReplicas) < n(status.updatedReplicas)) {
        return {
          done: false,
          waitingFor: `${n(status.availableReplicas)} of ${n(status.updatedReplicas)} updated replicas available`,
        };
      }
      return { done: true };
    }
    case 'StatefulSet': {
      if (w.spec.updateStrategy?.type === 'OnDelete') {
        return {
          failed: 'its updateStrategy is OnDelete, so a restart never rolls its pods; use RollingUpdate',
        };
      }
      const desired = w.spec.replicas ?? 1;
      if (n(status.readyReplicas) < desired) {
        return { done: false, waitingFor: `${n(status.readyReplicas)} of ${desired} replicas ready` };
      }
      if (n(status.updatedReplicas) < desired || status.updateRevision !== status.currentRevision) {
        return { done: false, waitingFor: `${n(status.updatedReplicas)} of ${desired} replicas updated` };
      }
      return { done: true };
    }
    case 'DaemonSet': {
      if (w.spec.updateStrategy?.type === 'OnDelete') {
        return {
          failed: 'its updateStrategy is OnDelete, so a restart never rolls its pods; use RollingUpdate',
        };
      }
      const desired = n(status.desiredNumberScheduled);
      if (n(status.updatedNumberScheduled) < desired) {
        return { done: false, waitingFor: `${n(status.updatedNumberScheduled)} of ${desired} pods updated` };
      }
      if (n(status.numberAvailable) < desired) {
        return {
          done: false,
          waitingFor: `${n(status.numberAvailable)} of ${desired} updated pods available`,
        };
      }
      return { done: true };
    }
  }
}
