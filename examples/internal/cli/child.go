package cli

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// A Child is the command under test running in a child process, for a
// test that interrupts it.
type Child struct {
	// Cmd is the child process.
	Cmd *exec.Cmd
	// Stdout and Stderr collect what the child writes.
	Stdout, Stderr *Output

	once sync.Once
	done chan struct{}
}

// StartChild starts the command in a child process, the test binary run
// again, whose [TestMain] runs the command with args as its command line;
// it collects the child's stdout and stderr. The test's cleanup kills the
// child if it still runs, and waits for it.
func StartChild(t TB, args ...string) *Child {
	t.Helper()
	c := &Child{Cmd: exec.Command(os.Args[0], args...), Stdout: &Output{}, Stderr: &Output{}}
	c.Cmd.Env = append(os.Environ(), childEnv+"=1")
	c.Cmd.Stdout, c.Cmd.Stderr = c.Stdout, c.Stderr
	if err := c.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Cmd.Process.Kill()
		<-c.wait()
	})
	return c
}

// wait waits for the child to end, once, and returns a channel closed
// when it has ended and its output has been collected.
func (c *Child) wait() <-chan struct{} {
	c.once.Do(func() {
		c.done = make(chan struct{})
		go func() {
			c.Cmd.Wait()
			close(c.done)
		}()
	})
	return c.done
}

// Wait waits for the child to end, at most deadline, and returns its exit
// status; it fails the test when the child still runs after the deadline.
// Once it returns, the child's output has been collected.
func (c *Child) Wait(t TB, deadline time.Duration) int {
	t.Helper()
	select {
	case <-c.wait():
		return c.Cmd.ProcessState.ExitCode()
	case <-time.After(deadline):
		t.Fatalf("the command still runs %v later", deadline)
	}
	return -1
}

// Interrupt interrupts the child, as Ctrl-C would, and waits, at most
// 10 s, until it says it is stopping (see [Main]).
func (c *Child) Interrupt(t TB) {
	t.Helper()
	if err := c.Cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	c.Stderr.WaitFor(t, "interrupted: stopping", 10*time.Second)
}

// stopBound is how long [Interrupted] lets a command take to end once it
// says it is stopping. The commands promise to stop within a second; the
// bound leaves room for the race detector and a busy machine, and still
// fails a command that runs on to the end of its work.
const stopBound = 5 * time.Second

// Interrupted runs the command in a child process with args as its
// command line, interrupts it once its stderr holds ready (a sign that it
// runs), and returns its exit status and what it wrote once it has ended.
// It fails the test when the child does not end within stopBound of
// saying it is stopping.
func Interrupted(t TB, ready string, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	c := StartChild(t, args...)
	c.Stderr.WaitFor(t, ready, 30*time.Second)
	c.Interrupt(t)
	start := time.Now()
	status = c.Wait(t, 10*time.Second)
	if took := time.Since(start); took > stopBound {
		t.Errorf("the command ended %v after the interrupt", took)
	}
	return status, c.Stdout.String(), c.Stderr.String()
}

// An Output collects what a child process writes to stdout or stderr. It
// is the child's writer, not a pipe that the test reads: [Child.Wait]
// returns only once everything written has been copied into it, where a
// pipe could be closed by exec.Cmd.Wait before the test read the last
// lines.
type Output struct {
	mu sync.Mutex
	b  strings.Builder
}

// Write appends p to what o holds.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

// String returns what o holds so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// WaitFor polls until o holds want, and fails the test when it does not
// after deadline.
func (o *Output) WaitFor(t TB, want string, deadline time.Duration) {
	t.Helper()
	stop := time.Now().Add(deadline)
	for !strings.Contains(o.String(), want) {
		if time.Now().After(stop) {
			t.Fatalf("no %q in %q after %v", want, o, deadline)
		}
		time.Sleep(time.Millisecond)
	}
}
