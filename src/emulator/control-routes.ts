/**
 * The emulator's own control API under `/_emulator/` (never part of OpenRouter's API): state,
 * faults, hand-made keys and reset. Guarded by the management key as bearer.
 */
import { z } from 'zod';
import { type AccountSeed, accountSeedSchema, type SeededAccount } from './account-seed.js';
import { type FaultConfig, faultConfigSchema } from './faults.js';
import { type Reply, json, parseJsonBody } from './http-io.js';
import { errorJson } from './wire-format.js';

export const CONTROL_PREFIX = '/_emulator';

const isoDate = z.iso.datetime({ offset: true }).transform((v) => new Date(v));

/** Body of `POST /_emulator/keys`: the same fields as `RunningEmulator.seedKey`, dates as ISO strings. */
export const seedKeyBodySchema = z.object({
  name: z.string().trim().min(1),
  limit: z.number().nonnegative().nullable().optional(),
  limitReset: z.enum(['daily', 'weekly', 'monthly']).nullable().optional(),
  disabled: z.boolean().optional(),
  createdAt: isoDate.optional(),
  expiresAt: isoDate.optional(),
  workspaceId: z.string().min(1).optional(),
});
export type SeedKeyParams = z.output<typeof seedKeyBodySchema>;

export interface ControlContext {
  managementKey: string;
  snapshot(): unknown;
  setFaults(faults: FaultConfig): void;
  seedKey(params: SeedKeyParams): { key: string; hash: string };
  seedAccount(seed: AccountSeed): SeededAccount;
  reset(): void;
}

export interface ControlRequest {
  method: string;
  path: string;
  bearer: string | undefined;
  body: () => Promise<string>;
}

function error(status: number, message: string): Reply {
  return json(status, errorJson(status, message));
}

async function parseBody<S extends z.ZodType>(
  req: ControlRequest,
  schema: S,
): Promise<{ data: z.output<S> } | { reply: Reply }> {
  const raw = parseJsonBody(await req.body());
  if (raw instanceof Error) return { reply: error(400, 'The body is not valid JSON') };
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return { data: parsed.data };
  const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
  return { reply: error(400, `Invalid control request: ${detail}`) };
}

export async function controlReply(ctx: ControlContext, req: ControlRequest): Promise<Reply> {
  if (req.bearer !== ctx.managementKey) {
    return error(401, 'The control API needs the management key as bearer');
  }
  const route = `${req.method} ${req.path.replace(/\/+$/, '')}`;
  switch (route) {
    case `GET ${CONTROL_PREFIX}/state`:
      return json(200, ctx.snapshot());
    case `PUT ${CONTROL_PREFIX}/faults`: {
      const body = await parseBody(req, faultConfigSchema);
      if ('reply' in body) return body.reply;
      try {
        ctx.setFaults(body.data);
      } catch (err) {
        return error(400, `Invalid faults: ${err instanceof Error ? err.message : String(err)}`);
      }
      return json(200, { ok: true });
    }
    case `POST ${CONTROL_PREFIX}/keys`: {
      const body = await parseBody(req, seedKeyBodySchema);
      if ('reply' in body) return body.reply;
      return json(201, ctx.seedKey(body.data));
    }
    case `POST ${CONTROL_PREFIX}/account/seed`: {
      const body = await parseBody(req, accountSeedSchema);
      if ('reply' in body) return body.reply;
      return json(201, ctx.seedAccount(body.data));
    }
    case `POST ${CONTROL_PREFIX}/reset`:
      ctx.reset();
      return json(200, { ok: true });
    default:
      return error(404, `No control endpoint ${route}`);
  }
}
