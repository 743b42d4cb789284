package slurm

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// The Slurm commands this executor uses, and what it reads from them. Without slurmdbd sacct
// does not work, so state comes from `scontrol show job -o`, which sees a finished job for
// MinJobAge seconds (300 by default) after it ended: far longer than a poll interval.

// jobState is one job as scontrol describes it.
type jobState struct {
	State    string // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, NODE_FAIL, PREEMPTED, ...
	Reason   string // why it is pending, or why it ended
	Node     string
	ExitCode string
	Found    bool // false when the controller no longer knows the job
}

// submit runs sbatch and returns the job ID. An error carries sbatch's own message: a request
// no node can satisfy is rejected here when the site sets EnforcePartLimits.
func submit(ctx context.Context, args []string) (string, error) {
	out, err := run(ctx, "sbatch", append([]string{"--parsable"}, args...)...)
	if err != nil {
		return "", err
	}
	id, _, _ := strings.Cut(strings.TrimSpace(out), ";") // "ID;cluster" on federated sites
	if id == "" {
		return "", fmt.Errorf("sbatch printed no job ID")
	}
	return id, nil
}

// state asks scontrol about one job.
func state(ctx context.Context, id string) (jobState, error) {
	out, err := run(ctx, "scontrol", "show", "job", "-o", id)
	if err != nil {
		if strings.Contains(err.Error(), "Invalid job id") {
			return jobState{}, nil
		}
		return jobState{}, err
	}
	f := fields(out)
	return jobState{State: f["JobState"], Reason: f["Reason"], Node: f["NodeList"], ExitCode: f["ExitCode"], Found: f["JobState"] != ""}, nil
}

// cancel scancels a job. It runs on its own short deadline: it is called when the build's
// context is already done.
func cancel(id string) error {
	ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	_, err := run(ctx, "scancel", id)
	return err
}

// fields splits scontrol's one-line "Key=Value Key=Value" form. Values do not hold spaces
// except Reason's tail and Command's, which this executor does not read beyond the first word.
func fields(line string) map[string]string {
	f := map[string]string{}
	for _, kv := range strings.Fields(line) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			if _, seen := f[k]; !seen {
				f[k] = v
			}
		}
	}
	return f
}

func run(ctx context.Context, name string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("%s failed: %s", name, msg)
	}
	return stdout.String(), nil
}

// neverStarts are the reasons Slurm gives a pending job that no waiting will start: asking
// for a feature, partition, account or size that does not exist. The job is cancelled and
// the action fails with the reason, rather than the build hanging.
var neverStarts = map[string]bool{
	"BadConstraints":                  true,
	"PartitionConfig":                 true,
	"PartitionNodeLimit":              true,
	"PartitionTimeLimit":              true,
	"PartitionDown":                   false, // an administrator may bring it back
	"InvalidAccount":                  true,
	"InvalidQOS":                      true,
	"QOSMaxGRESPerJob":                true,
	"QOSMaxCpuPerJobLimit":            true,
	"QOSMaxNodePerJobLimit":           true,
	"QOSMaxWallDurationPerJob":        true,
	"AssocMaxGRESPerJob":              true,
	"AssocMaxWallDurationPerJobLimit": true,
	"ReqNodeNotAvail":                 false, // a node down for maintenance returns
	"Resources":                       false,
	"Priority":                        false,
}

// lostStates end a job without its work being judged: the node failed, the job was
// preempted or cancelled by someone else. The action is resubmitted within the budget.
var lostStates = map[string]bool{
	"NODE_FAIL": true, "PREEMPTED": true, "BOOT_FAIL": true, "CANCELLED": true, "REQUEUED": true, "DEADLINE": false,
}

// finished reports whether a state is final.
func finished(s string) bool {
	switch s {
	case "PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING", "SIGNALING", "STAGE_OUT", "RESV_DEL_HOLD", "STOPPED", "":
		return false
	}
	return true
}
