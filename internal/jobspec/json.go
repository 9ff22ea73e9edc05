package jobspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/constellation-sched/constellation/api"
)

// parseJSON decodes a JSON job: a bare api.Job object or {"Job": {...}}.
// Unknown fields are refused so that a misspelt field is not silently
// dropped.
func parseJSON(filename string, src []byte) (*api.Job, error) {
	var job *api.Job
	var err error
	if isWrapped(src) {
		var w struct{ Job *api.Job }
		err = decodeStrict(src, &w)
		job = w.Job
	} else {
		err = decodeStrict(src, &job)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidJob, jsonErrorAt(filename, src, err))
	}
	if job == nil {
		return nil, fmt.Errorf("%w: %s: the file holds no job; write a JSON object with an \"ID\" and \"TaskGroups\"",
			ErrInvalidJob, filename)
	}
	for _, tg := range job.TaskGroups {
		for _, t := range tg.Tasks {
			if t != nil {
				t.Config = normalizeNumbers(t.Config).(map[string]any)
			}
		}
	}
	return job, nil
}

// isWrapped reports whether the document is an object whose only key is
// "Job".
func isWrapped(src []byte) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(src, &top) != nil {
		return false
	}
	_, ok := top["Job"]
	return ok && len(top) == 1
}

func decodeStrict(src []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the job object; a file holds one job")
	}
	return nil
}

// jsonErrorAt prefixes a decoding error with file:line:col where the
// error says where it happened.
func jsonErrorAt(filename string, src []byte, err error) string {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		line, col := position(src, syn.Offset)
		return fmt.Sprintf("%s:%d:%d: %s", filename, line, col, syn.Error())
	case errors.As(err, &typ):
		line, col := position(src, typ.Offset)
		return fmt.Sprintf("%s:%d:%d: field %s must be a JSON %s, not %s",
			filename, line, col, typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case strings.Contains(err.Error(), "unknown field"):
		return fmt.Sprintf("%s: %s; use the api.Job field names, such as \"ID\", \"TaskGroups\", \"Tasks\"",
			filename, strings.TrimPrefix(err.Error(), "json: "))
	}
	return fmt.Sprintf("%s: %s", filename, err.Error())
}

func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"):
		return "whole number"
	case strings.HasPrefix(goKind, "float"):
		return "number"
	case goKind == "slice":
		return "array"
	case goKind == "map", goKind == "struct", goKind == "ptr":
		return "object"
	}
	return goKind
}

// position turns a byte offset into a 1-based line and column.
func position(src []byte, off int64) (line, col int) {
	if off > int64(len(src)) {
		off = int64(len(src))
	}
	line, col = 1, 1
	for _, b := range src[:off] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// normalizeNumbers turns json.Number values into int64 (whole numbers) or
// float64, as the HCL decoder produces.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = normalizeNumbers(x[i])
		}
	case map[string]any:
		if x == nil {
			return map[string]any(nil)
		}
		for k := range x {
			x[k] = normalizeNumbers(x[k])
		}
	case nil:
		return map[string]any(nil)
	}
	return v
}
