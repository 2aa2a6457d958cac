import type { VercelEnvDestinationConfig } from './schema.js';

/** `vercel-env:[<teamId>/]<project>/<targets>#<key>`, e.g. `vercel-env:web/production+preview#OPENROUTER_API_KEY` */
export function vercelEnvDestinationLabel(config: VercelEnvDestinationConfig): string {
  const team = config.teamId ? `${config.teamId}/` : '';
  return `vercel-env:${team}${config.project}/${config.targets.join('+')}#${config.key}`;
}
