// Package process starts the servers of an e2e run as child processes in
// their own process groups, logs their output to files, and stops them.
package process

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Process is a started server.
type Process struct {
	Name string
	// KillOnStop makes Stop send SIGKILL at once, for a server whose
	// graceful shutdown is slow and whose state is thrown away anyway.
	KillOnStop bool
	cmd        *exec.Cmd
	done       chan struct{}
	err        error
}

var (
	mu      sync.Mutex
	running []*Process
)

// Start runs path with args and extra environment, output to logPath.
func Start(name, logPath string, env []string, path string, args ...string) (*Process, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create log of %s: %w", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, errors.Join(fmt.Errorf("start %s: %w", name, err), closeLog(name, logFile))
	}
	p := &Process{Name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = errors.Join(cmd.Wait(), closeLog(name, logFile))
		close(p.done)
	}()
	mu.Lock()
	running = append(running, p)
	mu.Unlock()
	return p, nil
}

func closeLog(name string, logFile *os.File) error {
	if err := logFile.Close(); err != nil {
		return fmt.Errorf("close log of %s: %w", name, err)
	}
	return nil
}

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Stop ends the process group: SIGTERM (SIGKILL with KillOnStop), then
// SIGKILL after a grace period.
// How the process ended is not an error of Stop (Exited tells it); a
// signal that cannot be sent is.
func (p *Process) Stop() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	first := syscall.SIGTERM
	if p.KillOnStop {
		first = syscall.SIGKILL
	}
	if err := p.signal(first); err != nil {
		return err
	}
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		if err := p.signal(syscall.SIGKILL); err != nil {
			return err
		}
		<-p.done
	}
	return nil
}

// signal sends sig to the process group. A group that is already gone
// (ESRCH: the process ended and was reaped) is not an error.
func (p *Process) signal(sig syscall.Signal) error {
	if err := syscall.Kill(-p.cmd.Process.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s: send %s: %w", p.Name, sig, err)
	}
	return nil
}

// StopAll stops every process started by Start, newest first, and returns
// what could not be stopped.
func StopAll() error {
	mu.Lock()
	list := running
	running = nil
	mu.Unlock()
	var errs []error
	for i := len(list) - 1; i >= 0; i-- {
		errs = append(errs, list[i].Stop())
	}
	return errors.Join(errs...)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("release port %d: %w", port, err)
	}
	return port, nil
}

// Addr returns 127.0.0.1:port.
func Addr(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// WaitHTTP polls url until it answers with a status below 500 or the
// process ends or timeout passes.
func (p *Process) WaitHTTP(ctx context.Context, url string, tlsConfig *tls.Config, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig}}
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if exited, err := p.Exited(); exited {
			return fmt.Errorf("%s exited before it was ready: %v", p.Name, err)
		}
		if last = poll(ctx, client, url); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return errors.Join(fmt.Errorf("%s not ready at %s after %s", p.Name, url, timeout), last)
}

// poll asks url once; nil means it answered with a status below 500.
func poll(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	// Only the status matters: the body is closed unread.
	if err := resp.Body.Close(); err != nil {
		return fmt.Errorf("close the answer: %w", err)
	}
	if resp.StatusCode >= 500 {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}
