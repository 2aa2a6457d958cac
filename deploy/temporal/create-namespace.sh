#!/bin/sh
# One-shot job (temporalio/admin-tools) after the server is healthy: creates the namespace the
# rotator uses and registers its custom search attributes (the names in SEARCH_ATTRIBUTES of
# src/workflow-contract/messages.ts). Idempotent: safe on every `docker compose up`.
set -eu

NAMESPACE="${TEMPORAL_NAMESPACE:?}"
RETENTION="${NAMESPACE_RETENTION:-30d}"
ADDRESS="${TEMPORAL_ADDRESS:?}"
HOST="${ADDRESS%:*}"
PORT="${ADDRESS##*:}"

echo "waiting for Temporal at $ADDRESS ..."
nc -z -w 10 "$HOST" "$PORT"
# Talk to the server over IPv4 (the same workaround as Temporal's own compose scripts).
IP="$(getent ahosts "$HOST" | grep STREAM | head -n 1 | awk '{print $1}')"
ADDRESS="${IP:-$HOST}:$PORT"

attempt=0
until temporal operator cluster health --address "$ADDRESS"; do
  attempt=$((attempt + 1))
  [ "$attempt" -lt 12 ] || { echo "Temporal did not become healthy" >&2; exit 1; }
  sleep 5
done

if temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
else
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" \
    --description "OpenRouter key rotations (openrouter-key-rotator)" --address "$ADDRESS"
fi

# A new namespace reaches the server's namespace cache within seconds: retry until it answers.
attempt=0
until existing="$(temporal operator search-attribute list --namespace "$NAMESPACE" --address "$ADDRESS")"; do
  attempt=$((attempt + 1))
  [ "$attempt" -lt 12 ] || { echo "namespace $NAMESPACE is not usable" >&2; exit 1; }
  sleep 5
done
for name in RotationName RotationStep RotationOutcome RotationNewKeyLabel RotationReason RotationConfigDigest RotationIntervalDays RotationEnabled RotationLastRotatedAt; do
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "search attribute $name exists"
  else
    temporal operator search-attribute create --name "$name" --type Keyword \
      --namespace "$NAMESPACE" --address "$ADDRESS"
  fi
done
echo "namespace $NAMESPACE and its search attributes are ready"
