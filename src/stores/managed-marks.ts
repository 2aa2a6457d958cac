/**
 * How a destination marks a secret as key-rotator's (AWS tags, GCP labels, Azure tags), one set of
 * names for all, so one query finds every managed secret whatever the store. Values never hold a
 * key: the rotation's name, and at most the key's label (`sk-or-v1-abc...xyz`).
 */
export const MANAGED_BY_TAG = 'managed-by';
export const MANAGED_BY = 'key-rotator';
/** The rotation (its `name`, a slug) that writes the secret. */
export const ROTATION_TAG = 'key-rotator-rotation';
/** The label of the key a version holds (Azure tags each version). */
export const KEY_LABEL_TAG = 'key-rotator-key';
