// Copyright 2026 The lockwise Authors. SPDX-License-Identifier: BSD-3-Clause

package flock_test

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lockwise/flock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The soak test runs briefly by default so that CI can afford it; run it
// longer with, for example,
//
//	go test -race -run '^TestSoak' -soak.duration=10m -soak.procs=16 -timeout=1h .
var (
	soakProcs    = flag.Int("soak.procs", 8, "processes in the soak test")
	soakDuration = flag.Duration("soak.duration", 3*time.Second, "how long the soak test runs")
)

// Soak takes the lock in a loop and increments the counter file under
// it until its stdin is closed. Under the lock it appends "enter" (with the
// value read) and "leave" (with the value written) to the shared mark log,
// and reports "in" right after entering and "committed" right after its
// write, pausing after each, so that the killer can strike inside the
// critical section on either side of the write.
func (helperRoles) Soak(args []string) int {
	path := args[0]
	id := os.Getenv("FLOCK_ID")
	l, err := flock.New(path)
	if err != nil {
		return helperFailed(err)
	}
	counter, err := os.OpenFile(path+".count", os.O_RDWR, 0)
	if err != nil {
		return helperFailed(err)
	}
	marks, err := os.OpenFile(path+".log", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return helperFailed(err)
	}
	var stop atomic.Bool
	go func() { io.Copy(io.Discard, os.Stdin); stop.Store(true) }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fmt.Println("ready")
	n := 0
	for ; !stop.Load(); n++ {
		if err := soakLock(ctx, l); err != nil {
			return helperFailed(err)
		}
		v, err := readCounter(counter)
		if err == nil {
			_, err = fmt.Fprintf(marks, "enter %s %d %d\n", id, os.Getpid(), v)
		}
		if err != nil {
			return helperFailed(err)
		}
		fmt.Println("in", v)
		time.Sleep(rand.N(3 * time.Millisecond)) // a window for the killer
		if err := writeCounter(counter, v+1); err != nil {
			return helperFailed(err)
		}
		fmt.Println("committed", v+1)
		time.Sleep(rand.N(time.Millisecond)) // and one after the write
		if _, err := fmt.Fprintf(marks, "leave %s %d %d\n", id, os.Getpid(), v+1); err != nil {
			return helperFailed(err)
		}
		if err := l.Unlock(); err != nil {
			return helperFailed(err)
		}
	}
	fmt.Println("done", n)
	return 0
}

// soakLock takes the lock in one of three ways at random: Lock, LockContext
// with a context that never ends, and LockContext with short deadlines that
// it retries, so that cancelled kernel waits happen amid the kills.
func soakLock(ctx context.Context, l *flock.Lock) error {
	switch rand.N(3) {
	case 0:
		return l.Lock()
	case 1:
		return l.LockContext(ctx)
	}
	for {
		tctx, cancel := context.WithTimeout(ctx, rand.N(5*time.Millisecond))
		err := l.LockContext(tctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		fmt.Println("timeout")
	}
}

// The counter is written in place with a fixed width, in one write of less
// than a page, so that a SIGKILL leaves either the old or the new value,
// never an empty or torn file.
func readCounter(f *os.File) (int, error) {
	b := make([]byte, 21)
	if _, err := f.ReadAt(b, 0); err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

func writeCounter(f *os.File, v int) error {
	_, err := f.WriteAt([]byte(fmt.Sprintf("%020d\n", v)), 0)
	return err
}

// Nothing here is timed: the run starts once every helper is up and lasts
// -soak.duration, and the killer strikes when a helper says it is inside (the
// first time always, then with some probability), while few restarted
// helpers are still starting, so that kills adapt to the machine's speed.
// The checks are on counts and on the order of marks.
//
// Parallel, so that it runs after the tests that count the process's
// goroutines and descriptors: the runtime's cleanups of the many processes it
// starts run later, at any time.
func TestSoakKilledHoldersNeitherOverlapNorLoseCommits(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	path := filepath.Join(dir, "soak.lock")
	counter, err := os.Create(path + ".count")
	require.NoError(t, err)
	defer counter.Close()
	require.NoError(t, writeCounter(counter, 0))
	// The holders append their marks to the log; the killer does not: two
	// processes appending at once may overwrite each other where appends
	// are not atomic (under Wine). It notes the log's size instead, and its
	// kill mark goes before the first mark written at or after that size.
	require.NoError(t, os.WriteFile(path+".log", nil, 0o644))

	f := newFleet(t, "Soak", path)
	for range *soakProcs {
		f.start()
	}
	var (
		commits    []soakCommit
		kills      []soakKill
		timeouts   int
		booting    = *soakProcs // started, not yet ready
		maxBooting = max(1, *soakProcs/4)
		end        time.Time // zero until every helper is up
		stopping   bool
	)
	for len(f.live) > 0 {
		e, ok := f.recv(end)
		if !ok {
			stopping, end = true, time.Time{}
			f.stopAll()
			continue
		}
		word, arg, _ := strings.Cut(e.line, " ")
		switch {
		case e.exited && e.m.killed:
			if !stopping {
				f.start()
				booting++
			}
		case e.exited:
			assert.NoError(t, e.err, "helper %d", e.m.id)
		case word == "ready":
			if booting--; booting == 0 && end.IsZero() && !stopping {
				end = time.Now().Add(*soakDuration)
			}
		case word == "in" || word == "committed":
			if !stopping && booting < maxBooting && !e.m.killed && (len(kills) == 0 || rand.N(4) == 0) {
				// The log's size is taken first: the lock cannot pass
				// to anyone before the kernel has killed the holder, so
				// every enter that the kill lets in starts after it.
				fi, err := os.Stat(path + ".log")
				require.NoError(t, err)
				kills = append(kills, soakKill{offset: fi.Size(), id: e.m.id})
				f.kill(e.m)
			}
			if word == "committed" {
				v, err := strconv.Atoi(arg)
				require.NoError(t, err)
				commits = append(commits, soakCommit{id: e.m.id, value: v})
			}
		case word == "timeout":
			timeouts++
		case word == "done":
		default:
			t.Errorf("helper %d: %s", e.m.id, e.line)
		}
	}

	final, err := readCounter(counter)
	require.NoError(t, err)
	log, err := os.ReadFile(path + ".log")
	require.NoError(t, err)
	r := checkSoak(t, parseMarks(t, log, kills), commits, final)
	t.Logf("%d processes (%d started), %v: %d iterations committed, counter %d; %d kills, %d inside "+
		"the critical section (%d before the write, %d after a reported commit that the next holder read); "+
		"%d LockContext deadlines; violations: %d",
		*soakProcs, f.started, *soakDuration, len(commits), final, len(kills), r.killsInside,
		r.redone, r.kept, timeouts, len(r.violations))
	for i, v := range r.violations {
		if i == 20 {
			t.Errorf("... and %d more", len(r.violations)-i)
			break
		}
		t.Error(v)
	}
	assert.NotZero(t, len(kills), "the killer never struck")
	assert.NotZero(t, len(commits))
}

type soakMark struct {
	kind      string // enter, leave or kill
	id, value int    // value: read (enter) or written (leave)
}

type soakCommit struct{ id, value int }

// A soakKill is a kill, and the size of the log when it was made.
type soakKill struct {
	offset int64
	id     int
}

// parseMarks reads the holders' marks from log and puts each kill before
// the first mark that starts at or after the kill's offset.
func parseMarks(t *testing.T, log []byte, kills []soakKill) []soakMark {
	t.Helper()
	var marks []soakMark
	offset := int64(0)
	for _, line := range strings.SplitAfter(string(log), "\n") {
		for len(kills) > 0 && kills[0].offset <= offset {
			marks = append(marks, soakMark{kind: "kill", id: kills[0].id})
			kills = kills[1:]
		}
		offset += int64(len(line))
		if line == "" {
			continue
		}
		var m soakMark
		var pid int
		_, err := fmt.Sscan(line, &m.kind, &m.id, &pid, &m.value)
		require.NoError(t, err, "mark %q", line)
		require.Contains(t, []string{"enter", "leave"}, m.kind, "mark %q", line)
		marks = append(marks, m)
	}
	for _, k := range kills {
		marks = append(marks, soakMark{kind: "kill", id: k.id})
	}
	return marks
}

type soakReport struct {
	killsInside int // kills that landed between an enter and its leave
	redone      int // enters that read the value a killed holder had read
	kept        int // enters that read the value a killed holder committed
	violations  []string
}

// checkSoak replays the marks in log order. Only the holder writes marks
// (parseMarks puts the kills in), so with exclusion the log alternates
// enter and leave of one process at a time, and each enter reads what the
// last leave wrote. A holder killed inside leaves no "leave"; the next enter
// is allowed only after its "kill" mark, must read the value it read or the
// one it wrote (the one it wrote, if it reported it committed), and the
// killed process may write nothing more: a mark from it after that enter
// would mean it was still alive inside.
func checkSoak(t *testing.T, marks []soakMark, commits []soakCommit, final int) soakReport {
	t.Helper()
	var r soakReport
	fail := func(format string, args ...any) { r.violations = append(r.violations, fmt.Sprintf(format, args...)) }
	committedBy := map[int]int{}
	for _, c := range commits {
		if id, dup := committedBy[c.value]; dup {
			fail("value %d committed twice, by %d and by %d", c.value, id, c.id)
		}
		committedBy[c.value] = c.id
	}
	killed, dead := map[int]bool{}, map[int]bool{}
	entered := map[soakCommit]bool{}
	inside, read, left := 0, 0, 0 // inside is an id, 0 for nobody
	// expect returns the values that the next enter may read, and at the
	// end the counter may hold; nil if someone is still inside.
	expect := func() []int {
		switch {
		case inside == 0:
			return []int{left}
		case !killed[inside]:
			return nil
		case committedBy[read+1] == inside:
			return []int{read + 1}
		}
		return []int{read, read + 1}
	}
	for i, m := range marks {
		if dead[m.id] && m.kind != "kill" {
			fail("mark %d: %s by %d, after another process entered following its kill", i, m.kind, m.id)
		}
		switch m.kind {
		case "kill":
			killed[m.id] = true
			if inside == m.id {
				r.killsInside++
			}
		case "enter":
			switch want := expect(); {
			case inside == m.id:
				fail("mark %d: %d entered twice", i, m.id)
			case want == nil:
				fail("mark %d: %d entered while %d was inside", i, m.id, inside)
			case !contains(want, m.value):
				fail("mark %d: %d read %d, want one of %v", i, m.id, m.value, want)
			}
			if inside != 0 {
				dead[inside] = true
				if m.value == read {
					r.redone++
				} else if committedBy[m.value] == inside {
					r.kept++
				}
			}
			inside, read = m.id, m.value
			entered[soakCommit{m.id, m.value}] = true
		case "leave":
			if inside != m.id {
				fail("mark %d: %d left while %d was inside", i, m.id, inside)
			} else if m.value != read+1 {
				fail("mark %d: %d wrote %d after reading %d", i, m.id, m.value, read)
			}
			inside, left = 0, m.value
		}
	}
	if inside != 0 && !killed[inside] {
		fail("%d is still inside at the end", inside)
	} else if want := expect(); !contains(want, final) {
		fail("counter is %d at the end, want one of %v", final, want)
	}
	for _, c := range commits {
		if !entered[soakCommit{c.id, c.value - 1}] {
			fail("%d committed %d without an enter that read %d", c.id, c.value, c.value-1)
		}
	}
	return r
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// A checker that never fails proves nothing: feed it logs with overlaps.
// A kill goes before the first mark that starts at or after the log's size
// when it was made, and after every mark the log had then.
func TestSoakKillsGoWhereTheLogWasWhenTheyWereMade(t *testing.T) {
	t.Parallel()
	log := "enter 1 10 0\nleave 1 10 1\nenter 2 20 1\n"
	first := int64(len("enter 1 10 0\n"))
	got := parseMarks(t, []byte(log), []soakKill{{0, 3}, {first, 1}, {int64(len(log)), 2}})
	want := []soakMark{{"kill", 3, 0}, {"enter", 1, 0}, {"kill", 1, 0}, {"leave", 1, 1}, {"enter", 2, 1}, {"kill", 2, 0}}
	assert.Equal(t, want, got)
}

func TestSoakCheckerCatchesOverlapsAndLostCommits(t *testing.T) {
	t.Parallel()
	enter := func(id, v int) soakMark { return soakMark{"enter", id, v} }
	leave := func(id, v int) soakMark { return soakMark{"leave", id, v} }
	kill := func(id int) soakMark { return soakMark{"kill", id, 0} }
	for _, tc := range []struct {
		name    string
		marks   []soakMark
		commits []soakCommit
		final   int
		bad     bool
	}{
		{"clean", []soakMark{enter(1, 0), leave(1, 1), enter(2, 1), leave(2, 2)}, []soakCommit{{1, 1}, {2, 2}}, 2, false},
		{"killed before its write", []soakMark{enter(1, 0), kill(1), enter(2, 0), leave(2, 1)}, nil, 1, false},
		{"killed after its write", []soakMark{enter(1, 0), kill(1), enter(2, 1), leave(2, 2)}, []soakCommit{{1, 1}}, 2, false},
		{"killed holder's last act", []soakMark{enter(1, 0), kill(1)}, []soakCommit{{1, 1}}, 1, false},
		{"enter while inside", []soakMark{enter(1, 0), enter(2, 0), leave(2, 1), leave(1, 1)}, nil, 1, true},
		{"enter before the kill mark", []soakMark{enter(1, 0), enter(2, 0), kill(1), leave(2, 1)}, nil, 1, true},
		{"killed holder still alive", []soakMark{enter(1, 0), kill(1), enter(2, 0), leave(1, 1), leave(2, 1)}, nil, 1, true},
		{"committed increment lost", []soakMark{enter(1, 0), kill(1), enter(2, 0), leave(2, 1)}, []soakCommit{{1, 1}}, 1, true},
		{"stale read", []soakMark{enter(1, 0), leave(1, 1), enter(2, 0), leave(2, 1)}, nil, 1, true},
		{"commit reported twice", []soakMark{enter(1, 0), leave(1, 1)}, []soakCommit{{1, 1}, {1, 1}}, 1, true},
		{"counter behind", []soakMark{enter(1, 0), leave(1, 1)}, []soakCommit{{1, 1}}, 0, true},
	} {
		r := checkSoak(t, tc.marks, tc.commits, tc.final)
		assert.Equal(t, tc.bad, len(r.violations) > 0, "%s: violations %q", tc.name, r.violations)
	}
}

// A fleet is a set of helper processes of one role whose output lines all
// arrive, tagged, on one channel, so that the test goroutine can react to
// each (kill the helper, restart it, count) without asserting anywhere else.
type fleet struct {
	t       *testing.T
	role    string
	path    string
	env     []string
	events  chan event
	quit    chan struct{}
	live    map[int]*member // used by the test goroutine only
	started int
}

type member struct {
	id     int
	p      *proc
	killed bool
}

type event struct {
	m      *member
	line   string
	exited bool  // the process has exited; no more lines come from it
	err    error // its exit status, with exited
}

func newFleet(t *testing.T, role, path string, env ...string) *fleet {
	t.Helper()
	f := &fleet{
		t: t, role: role, path: path, env: env,
		events: make(chan event, 256), quit: make(chan struct{}), live: map[int]*member{},
	}
	t.Cleanup(func() { close(f.quit) })
	return f
}

// start starts one more helper, with FLOCK_ID set to a number unique in the
// fleet (process IDs can be reused in a long run).
func (f *fleet) start() *member {
	f.t.Helper()
	f.started++
	m := &member{id: f.started}
	env := append([]string{"FLOCK_ID=" + strconv.Itoa(m.id)}, f.env...)
	m.p = startRole(f.t, f.role, []string{f.path}, withEnv(env...))
	f.live[m.id] = m
	go f.read(m)
	return m
}

func (f *fleet) read(m *member) {
	lines := bufio.NewScanner(m.p.out)
	for lines.Scan() {
		select {
		case f.events <- event{m: m, line: lines.Text()}:
		case <-f.quit:
		}
	}
	err := m.p.wait()
	select {
	case f.events <- event{m: m, exited: true, err: err}:
	case <-f.quit:
	}
}

// recv returns the next event, or ok false once the time until is reached
// (a zero until never is). Helpers report every few milliseconds, so a long
// silence is logged; a real deadlock is for go test -timeout to report.
func (f *fleet) recv(until time.Time) (e event, ok bool) {
	f.t.Helper()
	var deadline <-chan time.Time
	if !until.IsZero() {
		timer := time.NewTimer(time.Until(until))
		defer timer.Stop()
		deadline = timer.C
	}
	for {
		select {
		case e := <-f.events:
			if e.exited {
				delete(f.live, e.m.id)
			}
			return e, true
		case <-deadline:
			return event{}, false
		case <-time.After(10 * time.Second):
			f.t.Logf("no word from %d helpers for 10s; waiting", len(f.live))
		}
	}
}

func (f *fleet) kill(m *member) {
	f.t.Helper()
	m.killed = true
	// A helper that failed may have exited already; its exit event says why.
	if err := m.p.cmd.Process.Kill(); !errors.Is(err, os.ErrProcessDone) {
		require.NoError(f.t, err)
	}
}

// stopAll closes every helper's stdin, which tells it to finish its round,
// report and exit.
func (f *fleet) stopAll() {
	for _, m := range f.live {
		m.p.stdin.Close()
	}
}
