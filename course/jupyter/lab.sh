#!/usr/bin/env bash
# Start JupyterLab for the course: `bash run.sh lab` calls this after the set-up.
#   bash course/jupyter/lab.sh JUPYTER ROOT [--instructor] [JUPYTERLAB ARGS...]
# The student's lab by default: nbgrader's Validate button and assignment list, none of the
# instructor's panels (course/jupyter/student). --instructor puts autograder/jupyter/instructor
# in front, which turns create-assignment, formgrader and the course list back on.
# JupyterLab refuses to run as root without --allow-root (containers, lab machines): as root it
# is given, with a one-line notice.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jupyter="$1"; root="$2"; shift 2
config="$here/student"
if [ "${1:-}" = --instructor ]; then
  shift
  instructor="$here/../../autograder/jupyter/instructor"
  [ -d "$instructor" ] || { echo "[run.sh] --instructor: autograder/jupyter/instructor is missing (the student bundle has no instructor tools)" >&2; exit 2; }
  config="$(cd "$instructor" && pwd):$config"
fi
extra=()
if [ "$(id -u)" = 0 ]; then
  printf '\033[1m[run.sh]\033[0m %s\n' "running as root: starting JupyterLab with --allow-root"
  extra+=(--allow-root)
fi
JUPYTER_CONFIG_PATH="$config${JUPYTER_CONFIG_PATH:+:$JUPYTER_CONFIG_PATH}" \
  exec "$jupyter" lab "$root" ${extra[@]+"${extra[@]}"} "$@"
