#!/usr/bin/env bash
# Installs the pinned local stand-ins for AWS into .tools/ (ignored by git):
# aws-lambda-rie from the Go module proxy, fauxqs, dynalite and
# @cloud-copilot/iam-simulate (the reference evaluator of shared/iameval's
# differential tests) from npm with the committed lockfile. Idempotent: does
# nothing when the pinned versions are already there.
set -euo pipefail
cd "$(dirname "$0")/.."

RIE_MODULE=github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
STATICCHECK_VERSION=v0.8.2
TOOLS=$PWD/.tools

mkdir -p "$TOOLS/bin" "$TOOLS/emulators"

if [ "$(cat "$TOOLS/bin/.rie-version" 2>/dev/null)" != "$RIE_VERSION" ]; then
  echo "tools: installing aws-lambda-rie $RIE_VERSION" >&2
  GOBIN="$TOOLS/bin" GOFLAGS=-mod=mod go install "$RIE_MODULE@$RIE_VERSION"
  echo "$RIE_VERSION" > "$TOOLS/bin/.rie-version"
fi

if ! cmp -s .ci/emulators/package-lock.json "$TOOLS/emulators/package-lock.json" \
   || [ ! -x "$TOOLS/emulators/node_modules/.bin/dynalite" ] \
   || [ ! -f "$TOOLS/emulators/node_modules/@cloud-copilot/iam-simulate/package.json" ]; then
  echo "tools: installing fauxqs, dynalite and iam-simulate from the lockfile" >&2
  cp .ci/emulators/package.json .ci/emulators/package-lock.json "$TOOLS/emulators/"
  (cd "$TOOLS/emulators" && npm ci --no-audit --no-fund --loglevel=error)
fi
cp .ci/emulators/fauxqs-loopback.mjs "$TOOLS/emulators/"

if [ "${1:-}" = "lint" ] && [ "$(cat "$TOOLS/bin/.staticcheck-version" 2>/dev/null)" != "$STATICCHECK_VERSION" ]; then
  echo "tools: installing staticcheck $STATICCHECK_VERSION" >&2
  GOBIN="$TOOLS/bin" go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
  echo "$STATICCHECK_VERSION" > "$TOOLS/bin/.staticcheck-version"
fi
