#!/bin/sh
# certbot deploy hook: after a successful renewal, check the nginx configuration, reload nginx (new connections get
# the new certificate, open ones finish), and have the service re-check its certificate inventory at once.
#
#   certbot renew --deploy-hook /opt/security-backend/docker/certbot/deploy-hook.sh
#
# Commands can be overridden for other set-ups (docs/deployment.md "Certificate renewal"):
#   SB_NGINX  how to run nginx          default: nginx            compose: "docker compose -f docker/compose.yaml exec -T nginx nginx"
#   SB_CLI    how to run the admin CLI  default: npm run cli --   compose: "docker compose -f docker/compose.yaml exec -T app1 node dist/apps/cli/src/main.js"
#   SB_DIR    the service's checkout    default: this script's ../..
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
SB_DIR=${SB_DIR:-$(dirname -- "$(dirname -- "$here")")}
SB_NGINX=${SB_NGINX:-nginx}
SB_CLI=${SB_CLI:-npm run --silent cli --}

log() { printf '%s deploy-hook: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

log "renewed ${RENEWED_LINEAGE:-(lineage not given)} for ${RENEWED_DOMAINS:-(domains not given)}"
# Relative paths in SB_NGINX / SB_CLI (e.g. -f docker/compose.yaml) are relative to the checkout.
cd "$SB_DIR"

# A broken configuration must not take the running nginx down: test first, reload only if it passes.
# shellcheck disable=SC2086 # SB_NGINX and SB_CLI are command lines, split on purpose
if ! $SB_NGINX -t -q; then
  log "nginx -t failed; nginx keeps serving the previous certificate. Fix the configuration and run this hook again."
  exit 1
fi
# shellcheck disable=SC2086
$SB_NGINX -s reload
log "nginx reloaded"

# shellcheck disable=SC2086
if $SB_CLI certs:check; then
  log "certificate inventory re-checked"
else
  log "certs:check failed (exit $?); the daily check will try again"
  exit 1
fi
