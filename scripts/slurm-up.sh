#!/usr/bin/env bash
# slurm-up.sh starts a single-node Slurm cluster on this machine for the Slurm executor's
# integration tests (engine/slurm). It is idempotent: a cluster already up is left alone.
#
# What it is built for, and why each setting (seen working on Debian 12 with Slurm 22.05):
#   - no systemd: munged, slurmctld and slurmd are started here as daemons;
#   - no cgroups: ProctrackType=proctrack/linuxproc and TaskPlugin=task/none;
#   - no GPU: a GRES of type gpu backed by a character device made with mknod lets Slurm
#     schedule "GPU" jobs (--gpus=1), and Features=sm90 lets --constraint select the node;
#   - no slurmdbd, so sacct is off: MinJobAge keeps finished jobs visible to scontrol;
#   - EnforcePartLimits=ALL rejects an impossible request at submission instead of leaving it
#     pending forever.
# It prints "slurm: up" and exits 0, or says why it could not and exits 1.
set -uo pipefail

die() { echo "slurm: $*" >&2; exit 1; }

if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
  echo "slurm: up"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "starting a cluster needs root (to install packages and run slurmd)"

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  command -v apt-get >/dev/null || die "slurm is not installed and there is no apt-get to install it"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq munge slurmctld slurmd slurm-client >/dev/null) \
    || die "apt-get could not install munge, slurmctld, slurmd and slurm-client"
fi

host="$(hostname -s)"
conf_dir=/etc/slurm
state=/var/spool/slurmctld
spool=/var/spool/slurmd
mkdir -p "$conf_dir" "$state" "$spool" /var/log/slurm /run/munge /var/lib/munge /var/log/munge /etc/munge

# The fake GPU: slurmd only checks that the File of a GRES exists.
[ -e /dev/fakegpu0 ] || mknod /dev/fakegpu0 c 1 3 || die "cannot make the fake GPU device /dev/fakegpu0"

cat >"$conf_dir/slurm.conf" <<EOF
ClusterName=isobench
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$state
SlurmdSpoolDir=$spool
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
ReturnToService=2
MinJobAge=600
EnforcePartLimits=ALL
SchedulerParameters=sched_interval=1
MessageTimeout=10
SlurmdTimeout=30
InactiveLimit=0
KillWait=2
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
NodeName=$host CPUs=2 RealMemory=1000 Gres=gpu:1 Features=sm90 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
echo "Name=gpu File=/dev/fakegpu0" >"$conf_dir/gres.conf"
echo "ConstrainDevices=no" >"$conf_dir/cgroup.conf"

if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null || die "cannot write the munge key"
fi
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge 2>/dev/null
chmod 400 /etc/munge/munge.key
chmod 700 /etc/munge

pgrep -x munged >/dev/null || su -s /bin/sh munge -c munged 2>/dev/null || munged --force || die "munged did not start"
pgrep -x slurmctld >/dev/null || slurmctld || die "slurmctld did not start (see /var/log/slurm/slurmctld.log)"
pgrep -x slurmd >/dev/null || slurmd || die "slurmd did not start (see /var/log/slurm/slurmd.log)"

for _ in $(seq 1 60); do
  s="$(sinfo -h -o '%T' 2>/dev/null | head -1)"
  case "$s" in
    idle|mixed|allocated) echo "slurm: up"; exit 0 ;;
    down*|drain*) scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 ;;
  esac
  sleep 0.5
done
die "the node did not become idle in 30 s (sinfo says: ${s:-nothing}); see /var/log/slurm/"
