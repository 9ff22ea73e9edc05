package proc

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startShell runs script under /bin/sh with output in dir.
func startShell(t *testing.T, dir, script string) *Process {
	t.Helper()
	p, err := Start(&Spec{
		Path: "/bin/sh", Args: []string{"-c", script}, Dir: dir,
		Env:        []string{"PATH=/usr/bin:/bin"},
		StdoutPath: filepath.Join(dir, "stdout"), StderrPath: filepath.Join(dir, "stderr"),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Stop(0) })
	return p
}

// waitFile polls until path holds want, failing after a deadline.
func waitFile(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile(path); strings.Contains(string(b), want) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s never contained %q", path, want)
}

func TestProcess_ExitStatus(t *testing.T) {
	tests := []struct {
		name           string
		script         string
		code, signal   int
		wantSuccessful bool
	}{
		{"success", "exit 0", 0, 0, true},
		{"exit code", "exit 3", 3, 0, false},
		{"killed by signal", "kill -SEGV $$", 128 + int(syscall.SIGSEGV), int(syscall.SIGSEGV), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := startShell(t, t.TempDir(), tt.script).Wait()
			assert.Equal(t, tt.code, res.ExitCode)
			assert.Equal(t, tt.signal, res.Signal)
			assert.NoError(t, res.Err)
			assert.Equal(t, tt.wantSuccessful, res.Successful())
		})
	}
}

func TestProcess_OutputAppendedAndCwd(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "stdout"), []byte("before\n"), 0o644))
	p := startShell(t, dir, "pwd; echo oops >&2")
	require.True(t, p.Wait().Successful())

	out, _ := os.ReadFile(filepath.Join(dir, "stdout"))
	real, _ := filepath.EvalSymlinks(dir)
	assert.Equal(t, "before\n"+real+"\n", string(out))
	errOut, _ := os.ReadFile(filepath.Join(dir, "stderr"))
	assert.Equal(t, "oops\n", string(errOut))
}

func TestProcess_StopTermThenKill(t *testing.T) {
	t.Run("group gets SIGTERM", func(t *testing.T) {
		dir := t.TempDir()
		// A child in the group records that SIGTERM reached it.
		p := startShell(t, dir, `sh -c 'trap "echo child-term >> got; exit 0" TERM; echo up > ready; while :; do sleep 0.01; done' & wait`)
		waitFile(t, filepath.Join(dir, "ready"), "up")
		require.NoError(t, p.Stop(5*time.Second))
		waitFile(t, filepath.Join(dir, "got"), "child-term")
		assert.Equal(t, int(syscall.SIGTERM), p.Wait().Signal)
	})
	t.Run("SIGKILL after timeout", func(t *testing.T) {
		dir := t.TempDir()
		p := startShell(t, dir, `trap "" TERM; echo up > ready; while :; do sleep 0.01; done`)
		waitFile(t, filepath.Join(dir, "ready"), "up")
		require.NoError(t, p.Stop(50*time.Millisecond))
		assert.Equal(t, int(syscall.SIGKILL), p.Wait().Signal)
	})
}

func TestProcess_Stats(t *testing.T) {
	dir := t.TempDir()
	// A busy loop and a child holding ~64 MiB resident.
	p := startShell(t, dir, `head -c 67108864 /dev/zero | tail -c 67108864 > /dev/null & while :; do :; done`)
	_ = p.Stats()
	deadline := time.Now().Add(10 * time.Second)
	var cpu float64
	var rss uint64
	for time.Now().Before(deadline) && (cpu < 20 || rss < 32<<20) {
		time.Sleep(50 * time.Millisecond)
		u := p.Stats()
		cpu, rss = max(cpu, u.CPUPercent), max(rss, u.MemoryBytes)
	}
	assert.GreaterOrEqual(t, cpu, 20.0, "busy loop should show CPU use")
	assert.GreaterOrEqual(t, rss, uint64(32<<20), "tail's buffer should show as resident memory")
}

func TestProcess_RelativeProgram(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "run.sh"), []byte("#!/bin/sh\necho ran \"$@\"\n"), 0o755))
	p, err := Start(&Spec{Path: "./run.sh", Args: []string{"x"}, Dir: dir, StdoutPath: filepath.Join(dir, "out")})
	require.NoError(t, err)
	require.True(t, p.Wait().Successful())
	out, _ := os.ReadFile(filepath.Join(dir, "out"))
	assert.Equal(t, "ran x\n", string(out))
}

func TestProcess_AddressSpaceLimit(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	// With 64 MiB of address space, tail cannot hold 256 MiB.
	p, err := Start(&Spec{
		Path: "/bin/sh", Dir: dir, Env: []string{"PATH=/usr/bin:/bin"},
		Args:              []string{"-c", "read x < fifo; head -c 268435456 /dev/zero | tail -c 268435456 > /dev/null"},
		StderrPath:        filepath.Join(dir, "stderr"),
		AddressSpaceLimit: 64 << 20,
	})
	require.NoError(t, err)
	// The limit is set before the program runs; the script then waits on
	// the fifo so that its limits can be read.
	var lim syscall.Rlimit
	deadline := time.Now().Add(10 * time.Second)
	for lim.Cur != 64<<20 && time.Now().Before(deadline) {
		require.NoError(t, prlimitGet(p.PID(), &lim))
		time.Sleep(5 * time.Millisecond)
	}
	assert.Equal(t, uint64(64<<20), lim.Cur)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "fifo"), []byte("go\n"), 0o644))
	res := p.Wait()
	assert.False(t, res.Successful())
}

func TestProcess_StartErrors(t *testing.T) {
	_, err := Start(&Spec{})
	assert.ErrorIs(t, err, ErrNoCommand)
	dir := t.TempDir()
	_, err = Start(&Spec{Path: "/no/such/program", Dir: dir})
	assert.ErrorContains(t, err, "/no/such/program")
	_, err = Start(&Spec{Path: "no-such-program-anywhere", Dir: dir})
	assert.ErrorContains(t, err, "no-such-program-anywhere")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "data"), nil, 0o644))
	_, err = Start(&Spec{Path: "./data", Dir: dir})
	assert.ErrorContains(t, err, "not an executable file")
}

// prlimitGet reads a process's RLIMIT_AS from /proc/<pid>/limits.
func prlimitGet(pid int, lim *syscall.Rlimit) error {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/limits")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Max address space") {
			f := strings.Fields(line)
			lim.Cur, _ = strconv.ParseUint(f[3], 10, 64)
			lim.Max, _ = strconv.ParseUint(f[4], 10, 64)
		}
	}
	return nil
}

func TestProcess_Identity(t *testing.T) {
	p := startShell(t, t.TempDir(), "exec sleep 60")

	pgid, err := syscall.Getpgid(p.PID())
	require.NoError(t, err)
	assert.Equal(t, pgid, p.ProcessGroup())

	f, err := readStat(p.PID())
	require.NoError(t, err)
	assert.NotZero(t, p.StartTime())
	assert.Equal(t, field(f, 22), p.StartTime())
}
