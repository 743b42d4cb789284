//go:build !linux

package engine

import (
	"errors"
	"os/exec"
	"syscall"
)

// Namespaces are Linux's: elsewhere a sandboxed command runs in a process group of its own.

type sandboxProcess struct{}

type sandboxStatus struct {
	Exit  int
	Nanos int64
}

func sandboxCommand(Command) (*exec.Cmd, *sandboxProcess, error) {
	return nil, nil, errors.New("namespaces are Linux's")
}

func (p *sandboxProcess) started() error                { return nil }
func (p *sandboxProcess) wait() (*sandboxStatus, error) { return nil, nil }
func (p *sandboxProcess) abandon()                      {}

// SandboxIsolation says how RunCommand isolates a command given a Sandbox on this machine.
func SandboxIsolation() (Isolation, string) {
	return IsolationProcessGroup, "namespaces are a Linux feature"
}

func groupSysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func protectEnviron() {}
