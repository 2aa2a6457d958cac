/** A carry-over in words, for the `status` query and the CLI (no workflow or Node APIs). */
import type { CarryOverPlan } from '../workflow-contract/carry-over-plan.js';
import { carryOverModeOf, guardrailSettingOf, type RotationConfig } from '../config/schema.js';

/** A carry-over plan, one line per item. */
export function describeCarryOver(plan: CarryOverPlan): string[] {
  const lines = [
    `carry-over ${plan.mode ?? 'auto'}`,
    `workspace ${plan.workspaceId ?? 'default'} (${plan.workspaceConfigured ? 'configured' : 'as the old key'})`,
  ];
  if (plan.creatorUserId) lines.push(`creator ${plan.creatorUserId}`);
  if (plan.externalUser) lines.push(`partner user ${plan.externalUser}`);
  lines.push(
    plan.guardrail
      ? `guardrail "${plan.guardrail.name}" (${plan.guardrail.id}, ${plan.guardrail.source === 'inherited' ? 'as the old key' : 'configured'})`
      : 'no guardrail',
  );
  for (const list of plan.allowLists) lines.push(`allow-list of ${list.name}`);
  for (const note of plan.notCarried) lines.push(`not carried: ${note}`);
  return lines;
}

/**
 * What a rotation's config says will be carried over, before any key is read (for
 * `apply --dry-run`): the actual guardrail and allow-lists are read from OpenRouter in preflight.
 */
export function describeCarryOverSettings(rotation: RotationConfig): string {
  const mode = carryOverModeOf(rotation);
  const setting = guardrailSettingOf(rotation);
  const workspace = rotation.openrouter.workspaceId
    ? `workspace ${rotation.openrouter.workspaceId}`
    : "the old key's workspace and creator";
  if (mode === 'off') return `(carryOver: off) ${workspace} only: no guardrail, no allow-lists`;
  const guardrail =
    setting === 'inherit'
      ? "the old key's guardrail"
      : setting === 'none'
        ? 'no guardrail'
        : `guardrail ${setting}`;
  const what = `${workspace}, ${guardrail}, and the BYOK and observability allow-lists that name the old key`;
  return mode === 'required'
    ? `(carryOver: required) ${what}; preflight fails if any of them cannot be read`
    : `(carryOver: auto) ${what}, of what the account has`;
}
