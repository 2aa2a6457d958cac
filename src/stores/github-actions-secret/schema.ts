/** The config of a `github-actions-secret` destination. No Node built-ins: the workflow imports the config schema. */
import { z } from 'zod';
import { pathSegment, secretRef, serviceUrl } from '../../fields/field-schemas.js';

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

/** GitHub's rule for secret names: letters, digits and `_`, no leading digit, no `GITHUB_` prefix. */
const githubSecretName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected letters, digits and _, not starting with a digit')
  .refine((name) => !/^GITHUB_/i.test(name), 'GitHub refuses secret names that start with GITHUB_');

const ownerOrName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+$/, 'expected a GitHub owner or repository name')
  .refine((s) => s !== '.' && s !== '..', 'expected a GitHub owner or repository name, not . or ..');

const githubAuth = z.union([
  z.object({ token: secretRef }).strict(),
  z
    .object({
      /** A GitHub App: its id, the installation on the repository's owner, and its private key (PEM). */
      app: z
        .object({
          appId: z.union([z.string().regex(/^\d+$/), z.number().int().positive()]).transform(String),
          installationId: z.union([z.string().regex(/^\d+$/), z.number().int().positive()]).transform(String),
          privateKey: secretRef,
        })
        .strict(),
    })
    .strict(),
]);

export const githubActionsSecretDestinationSchema = z
  .object({
    type: z.literal('github-actions-secret'),
    /** GitHub's REST API; a GitHub Enterprise Server's is `https://HOST/api/v3`. @default "https://api.github.com" */
    apiUrl: serviceUrl.default(DEFAULT_GITHUB_API_URL),
    /** `owner/repo` of a repository secret (or an environment secret with `environment`). */
    repository: z
      .string()
      .refine(
        (s) => s.split('/').length === 2 && s.split('/').every((p) => ownerOrName.safeParse(p).success),
        {
          message: 'expected owner/repo',
        },
      )
      .optional(),
    /** An environment of `repository` (an environment secret). */
    environment: pathSegment.optional(),
    /** An organisation (an organisation secret); exclusive with `repository`. */
    organization: ownerOrName.optional(),
    /** Which of the organisation's repositories may use it. @default "private" */
    visibility: z.enum(['all', 'private', 'selected']).optional(),
    /** Repository ids for `visibility: selected`. */
    selectedRepositoryIds: z.array(z.number().int().positive()).optional(),
    /** @default "OPENROUTER_API_KEY" */
    secretName: githubSecretName.default('OPENROUTER_API_KEY'),
    /** A token (fine-grained: "Secrets" read and write) or a GitHub App installation. */
    auth: githubAuth,
  })
  .strict()
  .superRefine((config, ctx) => {
    const where = (message: string, path: string) => ctx.addIssue({ code: 'custom', message, path: [path] });
    if ((config.repository === undefined) === (config.organization === undefined)) {
      where('set exactly one of repository (owner/repo) or organization', 'repository');
    }
    if (config.environment !== undefined && config.repository === undefined) {
      where('environment secrets belong to a repository: set repository too', 'environment');
    }
    if (
      config.organization === undefined &&
      (config.visibility ?? config.selectedRepositoryIds) !== undefined
    ) {
      where('visibility and selectedRepositoryIds apply to organization secrets only', 'visibility');
    }
    if ((config.visibility === 'selected') !== (config.selectedRepositoryIds !== undefined)) {
      where(
        'selectedRepositoryIds goes with visibility: selected, and only with it',
        'selectedRepositoryIds',
      );
    }
  });

export type GithubActionsSecretDestinationConfig = z.infer<typeof githubActionsSecretDestinationSchema>;

/** GitHub never hands a secret's value back: always write-only. */
export function githubActionsSecretIsWriteOnly(_config: GithubActionsSecretDestinationConfig): boolean {
  return true;
}
