package jobspec

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/constellation-sched/constellation/api"
)

// ErrInvalidJob is wrapped by every error Parse returns: the file could not
// be decoded or the job it describes is not valid.
var ErrInvalidJob = errors.New("invalid job file")

// maxDiagnostics bounds how many problems one error lists.
const maxDiagnostics = 8

// Parse decodes a job file. The format is chosen by the extension of
// filename: ".json" is JSON, anything else is HCL. The filename is also used
// in error messages, which read "file:line:col: problem".
func Parse(filename string, src []byte) (*api.Job, error) {
	var (
		job *api.Job
		err error
	)
	if strings.EqualFold(filepath.Ext(filename), ".json") {
		job, err = parseJSON(filename, src)
	} else {
		job, err = parseHCL(filename, src)
	}
	if err != nil {
		return nil, err
	}
	if err := validate(job); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidJob, filename, err)
	}
	return job, nil
}

// diagError turns HCL diagnostics into one error with file:line:col
// prefixes.
func diagError(diags hcl.Diagnostics) error {
	var lines []string
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		if len(lines) == maxDiagnostics {
			lines = append(lines, "(more errors left out)")
			break
		}
		lines = append(lines, formatDiag(d))
	}
	if len(lines) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidJob, strings.Join(lines, "\n"))
}

func formatDiag(d *hcl.Diagnostic) string {
	msg := d.Summary
	if d.Detail != "" {
		msg += ": " + d.Detail
	}
	if d.Subject == nil {
		return msg
	}
	r := d.Subject
	return fmt.Sprintf("%s:%d:%d: %s", r.Filename, r.Start.Line, r.Start.Column, msg)
}

// errorAt builds a one-diagnostic error at rng.
func errorAt(rng hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  rng.Ptr(),
	}
}
