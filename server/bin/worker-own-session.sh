#!/bin/sh
# Runs the mediasoup worker in a session of its own (setsid execs in place: same pid, no fork, since the
# worker is not a process-group leader), so a Ctrl-C or a SIGTERM sent to Confero's process group reaches
# the server alone and it can close rooms with `shutdown` before it closes the workers itself.
# The real binary comes from CONFERO_MEDIASOUP_WORKER (set by the worker pool); mediasoup's arguments follow.
exec setsid "$CONFERO_MEDIASOUP_WORKER" "$@"
