package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/constellation-sched/constellation/api"
)

// Handler returns the client's HTTP API: GET
// /v1/client/fs/logs/{allocID}?task=NAME&type=stdout|stderr&offset=N
// streams a task's output. The task may be left out when the allocation
// has one task; offset skips that many bytes. The handler can be mounted
// in another mux under the same path.
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/client/fs/logs/{allocID}", a.handleLogs)
	return mux
}

func (a *Agent) handleLogs(w http.ResponseWriter, r *http.Request) {
	allocID := r.PathValue("allocID")
	stream := r.URL.Query().Get("type")
	if stream == "" {
		stream = "stdout"
	}
	if stream != "stdout" && stream != "stderr" {
		writeError(w, http.StatusBadRequest,
			fmt.Sprintf("log type %q is unknown; use type=stdout or type=stderr", stream))
		return
	}
	var offset int64
	if s := r.URL.Query().Get("offset"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest,
				fmt.Sprintf("offset %q is not a byte count; use offset=0 or more", s))
			return
		}
		offset = n
	}

	allocID, tasks, status, msg := a.resolveAlloc(allocID)
	if status != http.StatusOK {
		writeError(w, status, msg)
		return
	}
	task := r.URL.Query().Get("task")
	switch {
	case task == "" && len(tasks) == 1:
		task = tasks[0]
	case task == "":
		writeError(w, http.StatusBadRequest, fmt.Sprintf(
			"allocation %s has several tasks; set task= to one of %s", allocID, strings.Join(tasks, ", ")))
		return
	case !slices.Contains(tasks, task):
		writeError(w, http.StatusNotFound, fmt.Sprintf("allocation %s has no task %q; its tasks are %s",
			allocID, task, strings.Join(tasks, ", ")))
		return
	}
	a.serveLogFile(w, filepath.Join(a.allocsDir, allocID, "logs", task+"."+stream), offset)
}

// resolveAlloc finds an allocation by ID or unique ID prefix, among the
// runners and then the allocation directories, and lists its tasks.
func (a *Agent) resolveAlloc(id string) (string, []string, int, string) {
	if id == "" || strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
		return "", nil, http.StatusBadRequest, fmt.Sprintf("allocation ID %q is not valid", id)
	}
	if ar := a.runner(id); ar != nil {
		return id, ar.TaskNames(), http.StatusOK, ""
	}
	var matches []*allocRunner
	for _, ar := range a.runnerList() {
		if strings.HasPrefix(ar.Alloc().ID, id) {
			matches = append(matches, ar)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0].Alloc().ID, matches[0].TaskNames(), http.StatusOK, ""
	case 0:
	default:
		return "", nil, http.StatusBadRequest, fmt.Sprintf(
			"allocation prefix %q matches %d allocations; give more of the ID", id, len(matches))
	}

	// A finished allocation the client has forgotten keeps its logs.
	entries, err := os.ReadDir(filepath.Join(a.allocsDir, id, "logs"))
	if err != nil {
		return "", nil, http.StatusNotFound, fmt.Sprintf("unknown allocation %q on node %s", id, a.nodeID)
	}
	seen := map[string]bool{}
	var tasks []string
	for _, e := range entries {
		name := strings.TrimSuffix(strings.TrimSuffix(e.Name(), ".stdout"), ".stderr")
		if !seen[name] {
			seen[name] = true
			tasks = append(tasks, name)
		}
	}
	return id, tasks, http.StatusOK, ""
}

// serveLogFile copies a log file from offset; a task that has not
// written yet has an empty log.
func (a *Agent) serveLogFile(w http.ResponseWriter, path string, offset int64) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		w.WriteHeader(http.StatusOK)
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "open log: "+err.Error())
		return
	}
	defer f.Close()
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			writeError(w, http.StatusInternalServerError, "seek log: "+err.Error())
			return
		}
	}
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, f); err != nil {
		a.logger.Debug("send log", "path", path, "error", err)
	}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(&api.ErrorResponse{Error: msg})
}
