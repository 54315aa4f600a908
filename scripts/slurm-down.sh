#!/usr/bin/env bash
# Stop the cluster slurm-up.sh started and delete its state. Safe to run twice.
set -u
D=${SLURM_CI_DIR:-/tmp/slurm-ci}
scancel --user="$(id -un)" 2>/dev/null || true
# Let slurmd deliver the cancel before it goes: a job step left running outlives the cluster.
for _ in $(seq 20); do
  [ -z "$(squeue -h -u "$(id -un)" 2>/dev/null)" ] && break
  sleep 0.5
done
for f in "$D/slurmd.pid" "$D/slurmctld.pid" /run/munge/munged.pid; do
  [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
done
# Wait for the daemons to exit (they hold the state dir and the ports).
for _ in $(seq 20); do
  alive=0
  for f in "$D/slurmd.pid" "$D/slurmctld.pid" /run/munge/munged.pid; do
    [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && alive=1
  done
  [ $alive = 0 ] && break
  sleep 0.5
done
rm -rf "$D"
rm -f /run/munge/munged.pid
echo "SLURM down"
