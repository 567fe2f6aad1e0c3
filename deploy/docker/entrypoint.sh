#!/bin/sh
# Entrypoint of every image of the Dockerfile: refuse to start with a password nobody chose
# (src/infinit/preflight.py: empty, an example value of .env.example, or too short; the message
# names the variable, never its value), then run the command, e.g. `entrypoint.sh meltano run elt`.
# A container of the `prod` Meltano environment needs only the pipeline's passwords.
set -eu
if [ "${MELTANO_ENVIRONMENT:-}" = prod ]; then mode=prod; else mode=compose; fi
python -m infinit.preflight "$mode"
exec "$@"
