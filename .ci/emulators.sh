#!/usr/bin/env bash
# Starts or stops fauxqs (SQS and S3) and dynalite (DynamoDB) on free
# loopback ports. "start" writes .tools/emulators.env with the endpoints for
# the tests; "stop" ends both. "run CMD..." starts them, runs CMD with the
# endpoints in its environment and always stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=$PWD/.tools
# "run" keeps its pid and log files in a folder of its own, so several runs
# (two terminals, or make test beside make invoke) never stop each other's
# emulators; "start"/"stop" share .tools/run.
RUNDIR=${SELFAUDIT_EMULATOR_DIR:-$TOOLS/run}
STATE=$RUNDIR/emulators.env

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

wait_for() { # url name
  for _ in $(seq 1 100); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    sleep 0.1
  done
  echo "emulators: $2 did not start; its log:" >&2
  cat "$RUNDIR/$2.log" >&2 || true
  return 1
}

start() {
  stop >/dev/null 2>&1 || true
  mkdir -p "$RUNDIR"
  local fq dy
  fq=$(free_port); dy=$(free_port)
  (cd "$TOOLS/emulators" && FAUXQS_PORT=$fq FAUXQS_LOGGER=false FAUXQS_HOST=localhost \
     exec node fauxqs-loopback.mjs >"$RUNDIR/fauxqs.log" 2>&1) &
  echo $! > "$RUNDIR/fauxqs.pid"
  (cd "$TOOLS/emulators" && exec node_modules/.bin/dynalite --port "$dy" --host 127.0.0.1 \
     >"$RUNDIR/dynalite.log" 2>&1) &
  echo $! > "$RUNDIR/dynalite.pid"
  wait_for "http://127.0.0.1:$fq/health" fauxqs
  wait_for "http://127.0.0.1:$dy/" dynalite
  cat > "$STATE" <<EOV
export SELFAUDIT_FAUXQS_ENDPOINT=http://127.0.0.1:$fq
export SELFAUDIT_DYNALITE_ENDPOINT=http://127.0.0.1:$dy
export SELFAUDIT_RIE=$TOOLS/bin/aws-lambda-rie
EOV
  echo "emulators: fauxqs on 127.0.0.1:$fq, dynalite on 127.0.0.1:$dy" >&2
}

stop() {
  for n in fauxqs dynalite; do
    if [ -f "$RUNDIR/$n.pid" ]; then
      kill "$(cat "$RUNDIR/$n.pid")" 2>/dev/null || true
      rm -f "$RUNDIR/$n.pid"
    fi
  done
  rm -f "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  run)
    shift
    RUNDIR=$(mktemp -d "${TMPDIR:-/tmp}/selfaudit-emulators.XXXXXX")
    STATE=$RUNDIR/emulators.env
    trap 'stop; rm -rf "$RUNDIR"' EXIT
    start
    # shellcheck disable=SC1090
    . "$STATE"
    "$@"
    ;;
  *) echo "usage: $0 start|stop|run CMD..." >&2; exit 2 ;;
esac
