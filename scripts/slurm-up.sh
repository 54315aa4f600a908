#!/usr/bin/env bash
# Start a throw-away single-node SLURM cluster on localhost (Debian 12, slurm 22.05), for the tests and
# for trying profiles/slurm on one machine. Needs root. Measured recipe: ../shared/notes/slurm.md.
#   env: SLURM_CI_DIR (state dir, default /tmp/slurm-ci), FAKE_GPUS (1-4 fake GPUs, default 1),
#        GPU_TYPE (the GRES type, default a100, as profiles/slurm asks for)
# Two partitions on the one node, cpu (default) and gpu, as profiles/slurm names them.
# The fake GPU GRES needs no device: each GPU is a distinct character device (/dev/null, /dev/zero, ...),
# because a file-less GPU is dropped by slurmd and the node drains.
set -euo pipefail
D=${SLURM_CI_DIR:-/tmp/slurm-ci}
H=$(hostname -s)
[ "$(id -u)" = 0 ] || { echo "slurm-up.sh: needs root" >&2; exit 1; }
command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null || {
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null
}
getent hosts "$H" >/dev/null || echo "127.0.0.1 $H" >> /etc/hosts
# systemd hosts (GitHub runners): apt auto-starts the packaged services; stop them so ours own the ports.
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl stop slurmd slurmctld munge 2>/dev/null || true
fi
# A previous run that was not torn down: stop it first (a reused state dir keeps a drained node).
[ -d "$D" ] && "$(dirname "$0")/slurm-down.sh"
mkdir -p "$D/ctld" "$D/d" "$D/log"
chown -R slurm:slurm "$D/ctld" "$D/log"

# --- munge -----------------------------------------------------------------------------------------
[ -s /etc/munge/munge.key ] || { mungekey -c 2>/dev/null || create-munge-key -f; }
chown munge:munge /etc/munge/munge.key
chmod 400 /etc/munge/munge.key
mkdir -p /run/munge && chown munge:munge /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged   # daemonizes; pid in /run/munge/munged.pid
fi
munge -n | unmunge >/dev/null

# --- slurm config ----------------------------------------------------------------------------------
MEM=$(( $(free -m | awk '/^Mem:/{print $2}') * 80 / 100 ))
CPUS=$(nproc --all)  # not plain nproc: it honours OMP_NUM_THREADS, and a 1-CPU node never runs 2-thread jobs
NGPU=${FAKE_GPUS:-1}
GTYPE=${GPU_TYPE:-a100}
GPUFILES=$(echo /dev/null /dev/zero /dev/full /dev/urandom | cut -d" " -f1-"$NGPU" | tr " " ,)
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=ci
SlurmctldHost=$H
SlurmUser=slurm
AuthType=auth/munge
MpiDefault=none
# No cgroups in containers and sandboxes.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without it a job with no --mem takes the whole node.
DefMemPerCPU=500
SchedulerType=sched/backfill
ReturnToService=2
# squeue must still see finished jobs: the profile's slurm-status-command is squeue (no slurmdbd).
MinJobAge=600
GresTypes=gpu
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
StateSaveLocation=$D/ctld
SlurmdSpoolDir=$D/d
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
NodeName=$H CPUs=$CPUS RealMemory=$MEM Gres=gpu:$GTYPE:$NGPU State=UNKNOWN
PartitionName=cpu Nodes=$H Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$H MaxTime=INFINITE State=UP
CONF
cat > /etc/slurm/gres.conf <<CONF
AutoDetect=off
NodeName=$H Name=gpu Type=$GTYPE File=$GPUFILES
CONF

slurmctld   # daemonizes
slurmd
for _ in $(seq 60); do
  sinfo -h -o %T 2>/dev/null | grep -qx idle && break
  sleep 0.5
done
sinfo -o '%P %N %T %G'
timeout -s KILL 60 srun -t 1 hostname >/dev/null
echo "SLURM up (state in $D)"
