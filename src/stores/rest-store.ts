/**
 * The base of the stores that speak JSON over HTTP through http-json.ts (Vault, Infisical, GitHub,
 * Vercel): their label and HTTP context from one description of the service, and the errors for
 * a status the store did not handle (with the service's own explanation) and for an answer that
 * is not the shape the service's API documents.
 */
import { DestinationError } from '../errors/rotator-errors.js';
import type { SecretRefDeps } from '../fields/secret-ref.js';
import {
  httpContext,
  unexpectedStatus,
  type FetchLike,
  type HttpContext,
  type JsonResponse,
} from './http-json.js';
import { SetValueStore } from './set-value-store.js';

/** The hooks every REST store takes (tests swap them). */
export interface RestStoreDeps extends SecretRefDeps {
  /** @default globalThis.fetch */
  fetch?: FetchLike;
  /** Per-request time limit. @default 30000 */
  requestTimeoutMs?: number;
}

/** A REST service as its store's messages describe it. */
export interface RestService<Config> {
  /** Its name in messages, e.g. "Vault". */
  name: string;
  /** The config field that holds its address, named when a redirect is refused. */
  addressField: string;
  /** The destination's secret-free label (label.ts): the store's `description`. */
  label(config: Config): string;
  /** The service's own explanation in an error answer; '' when it gives none. */
  messageOf(response: JsonResponse): string;
  /** Said after "unexpected … response from <name>": what to check, e.g. `; is apiUrl right?`. */
  malformedHint(config: Config): string;
}

export abstract class RestSecretStore<Config, Deps extends RestStoreDeps> extends SetValueStore {
  readonly description: string;
  protected readonly http: HttpContext;

  protected constructor(
    protected readonly config: Config,
    protected readonly deps: Deps,
    private readonly service: RestService<Config>,
  ) {
    super();
    this.description = service.label(config);
    this.http = httpContext(this.description, service.name, service.addressField, deps);
  }

  /** The error for a status the store did not handle: 408/429/5xx retry (see unexpectedStatus). */
  protected failure(response: JsonResponse, action: string): DestinationError {
    return unexpectedStatus(this.http, response, action, this.service.messageOf(response));
  }

  /** The error for an answer that is not the shape the API documents. */
  protected malformed(what: string): DestinationError {
    return new DestinationError(
      this.description,
      `unexpected ${what} response from ${this.service.name}${this.service.malformedHint(this.config)}`,
    );
  }
}
