#!/bin/sh
# certbot deploy hook: after a successful issuance or renewal, check the nginx configuration, reload nginx (new
# connections get the new certificate, open ones finish), and have the service re-check its certificate inventory.
#
#   certbot renew --deploy-hook /opt/security-backend/docker/certbot/deploy-hook.sh
#
# Commands can be overridden for other set-ups (docs/deployment.md "Certificates"):
#   SB_NGINX     how to run nginx          default: nginx            compose: "docker compose -f docker/compose.yaml exec -T nginx nginx"
#   SB_CLI       how to run the admin CLI  default: the built CLI (dist/, never rebuilt here) on the checkout's pinned
#                                          Node, with the service's settings (SB_ENV_FILE), as the service user (SB_USER)
#                                          compose: "docker compose -f docker/compose.yaml exec -T app1 node dist/apps/cli/src/main.js"
#   SB_DIR       the service's checkout    default: this script's ../..
#   SB_ENV_FILE  the service's settings    default: /etc/security-backend/env (the systemd unit's EnvironmentFile)
#   SB_USER      the service's user        default: security-backend (used when the hook runs as root and it exists)
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
SB_DIR=${SB_DIR:-$(dirname -- "$(dirname -- "$here")")}
SB_NGINX=${SB_NGINX:-nginx}
SB_ENV_FILE=${SB_ENV_FILE:-/etc/security-backend/env}
SB_USER=${SB_USER:-security-backend}

log() { printf '%s deploy-hook: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

# The built CLI, run directly: `npm run cli` would rebuild dist/ (precli) under the running service, as root. The
# settings come from the service's own environment file (Node's --env-file), so the CLI checks the service's database
# and not an embedded one; as root, it runs as the service user, who owns the secret files it reads.
default_cli() {
  node_bin="$SB_DIR/node_modules/.bin/node"
  [ -x "$node_bin" ] || node_bin=node
  set -- "$node_bin"
  if [ -r "$SB_ENV_FILE" ]; then set -- "$@" "--env-file=$SB_ENV_FILE"; fi
  set -- "$@" "$SB_DIR/dist/apps/cli/src/main.js"
  if [ "$(id -u)" = 0 ] && id -u "$SB_USER" >/dev/null 2>&1 && command -v runuser >/dev/null; then
    set -- runuser -u "$SB_USER" -- "$@"
  fi
  printf '%s\n' "$*"
}
SB_CLI=${SB_CLI:-$(default_cli)}

log "deployed ${RENEWED_LINEAGE:-(lineage not given)} for ${RENEWED_DOMAINS:-(domains not given)}"
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
