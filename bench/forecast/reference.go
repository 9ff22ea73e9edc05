package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// pythonPath is the interpreter Debian's python3-statsmodels installs for.
const pythonPath = "/usr/bin/python3"

// refJob is one line of input to the reference script.
type refJob struct {
	ID     string    `json:"id"`
	Y      []float64 `json:"y"`
	H      int       `json:"h"`
	Period int       `json:"period"`
}

// refResult is one line of the reference script's output.
type refResult struct {
	ID      string    `json:"id"`
	Model   string    `json:"model"`
	Mean    []float64 `json:"mean"`
	Std     []float64 `json:"std"`
	Seconds float64   `json:"seconds"`
	Error   string    `json:"error"`
}

// referenceAvailable reports whether the reference can run, and why not.
func referenceAvailable() (bool, string) {
	if _, err := os.Stat(pythonPath); err != nil {
		return false, pythonPath + " not found"
	}
	out, err := exec.Command(pythonPath, "-c", "import statsmodels; print(statsmodels.__version__)").CombinedOutput()
	if err != nil {
		return false, "statsmodels is not importable by " + pythonPath +
			" (run bench/reference/install.sh)"
	}
	return true, "statsmodels " + string(bytes.TrimSpace(out))
}

// runReference forecasts the reference tasks with the statsmodels script
// under repoRoot and scores them like the Go models.
func runReference(repoRoot string, tasks []*task, workers int) ([]result, error) {
	byID := map[string]*task{}
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, t := range tasks {
		if !t.ref {
			continue
		}
		byID[t.id] = t
		if err := enc.Encode(refJob{ID: t.id, Y: t.train, H: t.hs[2], Period: t.period}); err != nil {
			return nil, fmt.Errorf("encode reference job: %w", err)
		}
	}
	script := filepath.Join(repoRoot, "bench", "reference", "forecast_statsmodels.py")
	cmd := exec.Command(pythonPath, script, fmt.Sprint(workers))
	cmd.Stdin = &in
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("run reference: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run reference: %w", err)
	}
	var out []result
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var rr refResult
		if err := json.Unmarshal(sc.Bytes(), &rr); err != nil {
			return nil, fmt.Errorf("decode reference output: %w", err)
		}
		t := byID[rr.ID]
		if t == nil {
			continue
		}
		if rr.Error != "" || len(rr.Mean) != len(t.test) || len(rr.Std) != len(t.test) {
			out = append(out, result{t: t, model: rr.Model, err: fmt.Errorf("reference: %s", rr.Error)})
			continue
		}
		r := score(t, rr.Model, rr.Mean, rr.Std)
		r.fit = secondsDuration(rr.Seconds)
		out = append(out, r)
	}
	if err := cmd.Wait(); err != nil {
		return out, fmt.Errorf("run reference: %w", err)
	}
	return out, nil
}
