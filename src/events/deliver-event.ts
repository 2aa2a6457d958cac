/**
 * Delivers one event to one sink, once: the caller (an activity with a retry policy) retries what
 * is worth retrying. A retryable NotificationError for no answer, 408, 429 (honouring Retry-After)
 * and 5xx; a non-retryable one for a redirect (never followed: a Slack URL is a secret, and a
 * signed body must not be replayed elsewhere), any other 4xx, and a refused or missing setting.
 */
import { resolveSecretRef } from '../fields/secret-ref.js';
import type { SecretRef } from '../fields/field-schemas.js';
import { NotificationError } from '../errors/rotator-errors.js';
import { parseRetryAfterMs } from '../errors/retry-after.js';
import { originOf } from '../fields/url-rules.js';
import type { LifecycleEvent } from './event-types.js';
import { eventLogLine } from './event-summary.js';
import type { NotificationSink } from './sink-schemas.js';
import { sinkLabel } from './sink-schemas.js';
import { slackMessage } from './slack-message.js';
import { signingKeyOf, standardWebhookHeaders } from './webhook-signature.js';

export interface DeliveryDeps {
  /** Environment the sinks' `{env: NAME}` references read. */
  env: Record<string, string | undefined>;
  /** Folder relative `{file: PATH}` references resolve from. */
  cwd: string;
  /** Refuses a credential reference the worker policy does not allow (see secretRefViolation). */
  refuseSecretRef: (ref: SecretRef) => string | undefined;
  /** Refuses a URL the worker policy does not allow events to go to (see notificationUrlViolation). */
  refuseUrl: (url: string) => string | undefined;
  /** Where the log sink writes. @default console.log (the activity passes the worker's logger) */
  log?: (line: string) => void;
  /** @default globalThis.fetch */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  /** Longest wait for a sink's answer. @default 10_000 */
  timeoutMs?: number;
  /** @default () => new Date() */
  now?: () => Date;
}

export async function deliverToSink(
  sink: NotificationSink,
  index: number,
  event: LifecycleEvent,
  deps: DeliveryDeps,
): Promise<void> {
  const label = sinkLabel(sink, index);
  switch (sink.type) {
    case 'log':
      (deps.log ?? console.log)(eventLogLine(event));
      return;
    case 'webhook': {
      const refused = deps.refuseUrl(sink.url);
      if (refused !== undefined) throw new NotificationError(label, `url: ${refused}`);
      const secret = resolveSecretRef(sink.secret, `the signing secret of ${label}`, {
        env: deps.env,
        cwd: deps.cwd,
        refuse: deps.refuseSecretRef,
      });
      const key = signingKeyOf(secret);
      if (!key) {
        throw new NotificationError(
          label,
          'the signing secret is not a Standard Webhooks secret: expected whsec_ followed by base64 of 16 or more bytes',
        );
      }
      const body = JSON.stringify(event);
      await post(label, sink.url, body, deps, {
        'content-type': 'application/cloudevents+json; charset=utf-8',
        ...standardWebhookHeaders(key, event.id, (deps.now ?? (() => new Date()))(), body),
      });
      return;
    }
    case 'slack': {
      const url = resolveSecretRef(sink.webhookUrl, `the Slack webhook URL of ${label}`, {
        env: deps.env,
        cwd: deps.cwd,
        refuse: deps.refuseSecretRef,
      });
      // The URL is a secret: messages name its origin at most, and only once it parsed as a URL.
      const refused = URL.canParse(url) ? deps.refuseUrl(url) : 'the reference does not hold a URL';
      if (refused !== undefined) throw new NotificationError(label, `webhook URL: ${refused}`);
      await post(label, url, JSON.stringify(slackMessage(event)), deps, {
        'content-type': 'application/json; charset=utf-8',
      });
      return;
    }
  }
}

async function post(
  label: string,
  url: string,
  body: string,
  deps: DeliveryDeps,
  headers: Record<string, string>,
): Promise<void> {
  const timeoutMs = deps.timeoutMs ?? 10_000;
  // Messages name the origin only: a URL's path may hold a token (Slack's does).
  const where = originOf(url);
  let response: Response;
  try {
    response = await (deps.fetch ?? fetch)(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
  } catch (err) {
    const reason =
      err instanceof Error && err.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : err instanceof Error && err.cause instanceof Error
          ? err.cause.message
          : String(err);
    throw new NotificationError(label, `could not reach ${where} (${reason})`, { retryable: true });
  }
  const { status } = response;
  if (status >= 200 && status < 300) return;
  if (status >= 300 && status < 400) {
    throw new NotificationError(
      label,
      `${where} answered a redirect (${status}); redirects are not followed: configure the final URL`,
    );
  }
  const retryable = status === 408 || status === 429 || status >= 500;
  throw new NotificationError(
    label,
    `${where} answered HTTP ${status}${retryable ? '' : '; fix the sink or its receiver (not retried)'}`,
    { retryable, retryAfterMs: retryable ? retryAfterMs(response.headers.get('retry-after')) : undefined },
  );
}

/** Retry-After (parsed as for OpenRouter's answers), capped at 10 minutes; none when zero. */
function retryAfterMs(header: string | null): number | undefined {
  const ms = parseRetryAfterMs(header);
  return ms !== undefined && ms > 0 ? Math.min(ms, 600_000) : undefined;
}
