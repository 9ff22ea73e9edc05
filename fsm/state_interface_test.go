package fsm

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSnapshot_SatisfiesSchedulerState checks *Snapshot against the
// scheduler's State interface as declared in scheduler/state.go. It reads
// the declaration rather than importing the scheduler, so that fsm stays
// free of the scheduler and this test does not need the scheduler to build.
func TestSnapshot_SatisfiesSchedulerState(t *testing.T) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, filepath.Join("..", "scheduler", "state.go"), nil, 0)
	require.NoError(t, err)

	methods := stateMethods(t, fset, file)
	require.NotEmpty(t, methods)
	snap := reflect.ValueOf(&Snapshot{})
	for name, want := range methods {
		m := snap.MethodByName(name)
		if !assert.True(t, m.IsValid(), "*Snapshot lacks %s", name) {
			continue
		}
		assert.Equal(t, want, m.Type().String(), "signature of %s", name)
	}
}

// stateMethods returns the methods of the State interface as reflect
// would print their types, such as "func(string) (*api.Node, error)".
func stateMethods(t *testing.T, fset *token.FileSet, file *ast.File) map[string]string {
	out := map[string]string{}
	ast.Inspect(file, func(n ast.Node) bool {
		spec, ok := n.(*ast.TypeSpec)
		if !ok || spec.Name.Name != "State" {
			return true
		}
		iface, ok := spec.Type.(*ast.InterfaceType)
		require.True(t, ok, "State is not an interface")
		for _, field := range iface.Methods.List {
			fn, ok := field.Type.(*ast.FuncType)
			require.True(t, ok, "State embeds another interface; extend this test")
			sig := "func(" + strings.Join(fieldTypes(fset, fn.Params), ", ") + ")"
			results := fieldTypes(fset, fn.Results)
			switch len(results) {
			case 0:
			case 1:
				sig += " " + results[0]
			default:
				sig += " (" + strings.Join(results, ", ") + ")"
			}
			out[field.Names[0].Name] = sig
		}
		return false
	})
	return out
}

// fieldTypes returns the printed type of each parameter in a list, once
// per name.
func fieldTypes(fset *token.FileSet, list *ast.FieldList) []string {
	if list == nil {
		return nil
	}
	var out []string
	for _, field := range list.List {
		var buf bytes.Buffer
		_ = printer.Fprint(&buf, fset, field.Type)
		for range max(len(field.Names), 1) {
			out = append(out, buf.String())
		}
	}
	return out
}
