package fleet_test

// The helpers that the tests of Run, Compare and Plan.Run share: fleets
// to run, and the panic cases, each run in a child process.

import (
	"errors"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mobiledm/dmclient/certs"
	"github.com/mobiledm/dmclient/lifecycle"
	"github.com/mobiledm/dmclient/lifecycle/fleet"
)

// components are the two components, every valid value (a literal: an
// append to it copies).
var components = []lifecycle.Component{lifecycle.Client, lifecycle.PasswordProgram}

// item is one device of a fleet as it was yielded.
type item struct {
	e   fleet.Entry
	err error
}

// items reads a fleet once.
func items(entries iter.Seq2[fleet.Entry, error]) []item {
	var all []item
	for e, err := range entries {
		all = append(all, item{e, err})
	}
	return all
}

// fromItems yields the items again on every range, without generating
// them anew.
func fromItems(all []item) iter.Seq2[fleet.Entry, error] {
	return func(yield func(fleet.Entry, error) bool) {
		for _, it := range all {
			if !yield(it.e, it.err) {
				return
			}
		}
	}
}

// withBadDevices replaces every k-th device of the fleet by a device error.
func withBadDevices(entries iter.Seq2[fleet.Entry, error], k int) iter.Seq2[fleet.Entry, error] {
	return func(yield func(fleet.Entry, error) bool) {
		i := 0
		for e, err := range entries {
			if i%k == k-1 {
				e.Device.Platform = 0
				err = &fleet.Error{Index: i, ID: e.Device.ID, Field: "device.platform", Err: certs.ErrInvalidInput}
			}
			if !yield(e, err) {
				return
			}
			i++
		}
	}
}

// changedFleet yields the entries of f as change has them; an entry with an
// error is yielded as it is.
func changedFleet(f iter.Seq2[fleet.Entry, error], change func(fleet.Entry) fleet.Entry) iter.Seq2[fleet.Entry, error] {
	return func(yield func(fleet.Entry, error) bool) {
		for e, err := range f {
			if err == nil {
				e = change(e)
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

// countingFleet counts the devices pulled from the fleet.
func countingFleet(entries iter.Seq2[fleet.Entry, error], pulled *atomic.Int64, onPull func(n int64)) iter.Seq2[fleet.Entry, error] {
	return func(yield func(fleet.Entry, error) bool) {
		for e, err := range entries {
			n := pulled.Add(1)
			if onPull != nil {
				onPull(n)
			}
			if !yield(e, err) {
				return
			}
		}
	}
}

var errBoom = errors.New("boom")

// waitGoroutines polls until at most want goroutines run or the deadline
// passes, and returns how many more than want are left. Goroutines that
// have returned may still be finishing their exit when the function that
// started them returns, so a single count right away would be flaky.
func waitGoroutines(want int, deadline time.Duration) int {
	stop := time.Now().Add(deadline)
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(stop) {
			return max(n-want, 0)
		}
		time.Sleep(time.Millisecond)
	}
}

// inChildren runs child with the name of every case, each in a child
// process that runs t's test alone, where a panic that escapes kills the
// process instead of the test binary. In the child process, it runs child
// only. A case passes when its child prints "recovered in the caller"
// ([recoveredInCaller]).
func inChildren[C any](t *testing.T, cases map[string]C, child func(name string)) {
	const env = "FLEET_PANIC_CASE"
	if name := os.Getenv(env); name != "" {
		child(name)
		return
	}
	for name := range cases {
		cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1")
		cmd.Env = append(os.Environ(), env+"="+name)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "recovered in the caller") {
			t.Errorf("%s: the child process failed (%v):\n%s", name, err, out)
		}
	}
}

// recoveredInCaller is deferred by a child process's case, started with
// before goroutines running: it recovers the panic, checks it with want,
// waits for every goroutine the case started to end, and prints
// "recovered in the caller", or exits with status 3.
func recoveredInCaller(before int, want func(v any) bool) {
	v := recover()
	if !want(v) {
		fmt.Printf("recovered %T %v\n", v, v)
		os.Exit(3)
	}
	if left := waitGoroutines(before, time.Second); left > 0 {
		fmt.Printf("%d goroutines left behind\n", left)
		os.Exit(3)
	}
	fmt.Println("recovered in the caller")
}

// workerPanic reports whether v is a [*fleet.PanicError] whose message
// (the value and the worker's stack) holds every one of want.
func workerPanic(v any, want ...string) bool {
	var pe *fleet.PanicError
	if !errors.As(asError(v), &pe) {
		return false
	}
	for _, w := range want {
		if !strings.Contains(pe.Error(), w) {
			return false
		}
	}
	return true
}

func asError(v any) error {
	err, _ := v.(error)
	return err
}
