#!/bin/sh
# The certificates for the hop nginx → app in docker/compose.yaml (TLS inside the host, ASVS 5.0 12.3.3): a private CA
# that nginx trusts (internal_ca) and the apps' certificate for the name nginx checks, security-backend-app
# (app_tls_cert, app_tls_key). The CA's key exists only while this runs: nothing else can ever be signed by it, so
# a stolen internal_ca is worthless and nginx trusts exactly this one certificate. To rotate, run it again and
# recreate the containers (docker compose up -d --force-recreate app1 app2 nginx).
#
#   docker/make-internal-tls.sh [directory]        (default: docker/secrets next to this script)
#   then, as root: chown 1000:1000 app_tls_cert app_tls_key (the image's node user)
set -eu

here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
out=${1:-$here/secrets}
name=${SB_APP_TLS_NAME:-security-backend-app}
days=${SB_APP_TLS_DAYS:-397}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
  -subj "/CN=security-backend internal CA" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
  -keyout "$work/app.key" -out "$work/app.csr" 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:%s\n' \
  "$name" >"$work/app.ext"
openssl x509 -req -in "$work/app.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days "$days" \
  -sha256 -extfile "$work/app.ext" -out "$work/app.pem" 2>/dev/null

cp "$work/ca.pem" "$out/internal_ca" && chmod 0444 "$out/internal_ca"
cp "$work/app.pem" "$out/app_tls_cert" && chmod 0400 "$out/app_tls_cert"
cp "$work/app.key" "$out/app_tls_key" && chmod 0400 "$out/app_tls_key"
printf 'internal CA and a certificate for %s (%s days) in %s; the CA key is gone\n' "$name" "$days" "$out"
