/**
 * Reads the zod schema itself (not a value) to answer "which fields may appear here?", so that an
 * unknown field can be answered with the closest known one. Follows the same path as the data,
 * picking discriminated-union options by the data's discriminator value.
 */
import type { z } from 'zod';

type AnySchema = z.core.$ZodType;

/** Steps through wrappers that do not change the shape (default, optional, nullable, pipe input). */
function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (let depth = 0; depth < 20; depth++) {
    const def = current._zod.def as z.core.$ZodTypeDef & { innerType?: AnySchema; in?: AnySchema };
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else break;
  }
  return current;
}

/** The object schema that `data` matches, following discriminated unions. */
function resolveObject(schema: AnySchema, data: unknown): z.core.$ZodObject | undefined {
  const inner = unwrap(schema);
  const def = inner._zod.def;
  if (def.type === 'object') return inner as z.core.$ZodObject;
  if (def.type === 'union') {
    const union = def as z.core.$ZodDiscriminatedUnionDef;
    const discriminator = union.discriminator;
    if (discriminator === undefined || typeof data !== 'object' || data === null) return undefined;
    const value = (data as Record<string, unknown>)[discriminator];
    for (const option of union.options) {
      const object = resolveObject(option, data);
      const literal = object?._zod.def.shape[discriminator];
      const values = literal ? unwrap(literal)._zod.values : undefined;
      if (object && values?.has(value as z.core.util.Primitive)) return object;
    }
  }
  return undefined;
}

/**
 * The field names allowed in the object at `path` of `data`, or undefined when the path does not
 * lead to an object schema.
 */
export function knownFieldsAt(
  schema: AnySchema,
  data: unknown,
  path: readonly PropertyKey[],
): string[] | undefined {
  let current: AnySchema | undefined = schema;
  let value = data;
  for (const segment of path) {
    if (!current) return undefined;
    const inner = unwrap(current);
    if (inner._zod.def.type === 'array') {
      current = (inner._zod.def as z.core.$ZodArrayDef).element;
    } else {
      current = resolveObject(inner, value)?._zod.def.shape[String(segment)];
    }
    value =
      typeof value === 'object' && value !== null
        ? (value as Record<PropertyKey, unknown>)[segment]
        : undefined;
  }
  const object = current ? resolveObject(current, value) : undefined;
  return object ? Object.keys(object._zod.def.shape) : undefined;
}
