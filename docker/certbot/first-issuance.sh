#!/bin/sh
# The first certificate of a new host. nginx will not start without live/<domain>/fullchain.pem, and the HTTP-01
# challenge needs nginx running, so:
#   1. a self-signed placeholder certificate (1 day) goes where the real one will be;
#   2. nginx starts with it (port 80 answers the challenges from the webroot; HTTPS works, untrusted);
#   3. the placeholder is removed (nginx keeps it in memory; certbot refuses a live/ directory it did not make);
#   4. certbot certonly --webroot obtains the real certificate and runs the deploy hook, which tests the nginx
#      configuration, reloads nginx onto the real certificate and has the service re-check its inventory. certbot
#      records the hook in the lineage's renewal configuration, so every renewal runs it too.
# If certbot fails, the placeholder is put back so nginx can still be restarted; fix the cause and run this again.
#
#   SB_DOMAIN=api.example.com SB_EMAIL=ops@example.com /opt/security-backend/docker/certbot/first-issuance.sh
#
# Overrides (docs/deployment.md "Certificates"):
#   SB_LE_DIR       certbot's configuration directory   default: /etc/letsencrypt
#   SB_WEBROOT      the ACME webroot nginx serves        default: /var/www/certbot
#   SB_NGINX_START  how to start nginx                   default: systemctl start nginx
#                   compose: "docker compose -f docker/compose.yaml up -d nginx"
#   SB_CERTBOT      how to run certbot                   default: certbot
#   SB_CERTBOT_ARGS extra certbot arguments (e.g. --staging for a dry run against Let's Encrypt's staging CA)
#   and the deploy hook's SB_NGINX, SB_CLI, SB_ENV_FILE, SB_USER (see deploy-hook.sh), passed through.
set -eu

: "${SB_DOMAIN:?set SB_DOMAIN to the name the certificate is for}"
: "${SB_EMAIL:?set SB_EMAIL to the address the CA may write to about the certificate}"
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
le=${SB_LE_DIR:-/etc/letsencrypt}
webroot=${SB_WEBROOT:-/var/www/certbot}
nginx_start=${SB_NGINX_START:-systemctl start nginx}
certbot=${SB_CERTBOT:-certbot}
live="$le/live/$SB_DOMAIN"

log() { printf '%s first-issuance: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

placeholder() {
  mkdir -p "$live"
  chmod 0700 "$live"
  (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj "/CN=$SB_DOMAIN (placeholder)" -addext "subjectAltName=DNS:$SB_DOMAIN" \
    -keyout "$live/privkey.pem" -out "$live/fullchain.pem" 2>/dev/null)
  : >"$live/.placeholder"
}

if [ -f "$live/fullchain.pem" ] && [ ! -f "$live/.placeholder" ]; then
  log "$live already holds a certificate; renewals are certbot renew's job"
  exit 0
fi

placeholder
log "placeholder certificate in $live"
mkdir -p "$webroot"
# shellcheck disable=SC2086 # command lines, split on purpose
$nginx_start
log "nginx started with the placeholder; HTTP-01 challenges are served from $webroot"

rm -rf "$live"
# shellcheck disable=SC2086
if ! $certbot certonly --webroot -w "$webroot" -d "$SB_DOMAIN" --email "$SB_EMAIL" --agree-tos --non-interactive \
  --deploy-hook "$here/deploy-hook.sh" ${SB_CERTBOT_ARGS:-}; then
  placeholder
  log "certbot failed; the placeholder is back so nginx can restart. Fix the cause (DNS, port 80) and run this again."
  exit 1
fi
log "certificate for $SB_DOMAIN issued and nginx reloaded onto it"
