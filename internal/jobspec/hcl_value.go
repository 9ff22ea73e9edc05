package jobspec

import (
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// value decodes an expression to a plain Go value. Strings that refer to
// attributes, such as "${attr.kernel.name}", are kept as written: job files
// have no variables of their own, and the references are resolved later,
// against each node, by the scheduler.
func (d *decoder) value(expr hcl.Expression) (any, bool) {
	switch e := expr.(type) {
	case *hclsyntax.TemplateWrapExpr:
		if len(e.Variables()) > 0 {
			return "${" + d.text(e.Wrapped.Range()) + "}", true
		}
	case *hclsyntax.TemplateExpr:
		if len(e.Variables()) > 0 {
			return d.template(e), true
		}
	case *hclsyntax.TupleConsExpr:
		out := make([]any, 0, len(e.Exprs))
		for _, elem := range e.Exprs {
			v, ok := d.value(elem)
			if !ok {
				return nil, false
			}
			out = append(out, v)
		}
		return out, true
	case *hclsyntax.ObjectConsExpr:
		return d.object(e)
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		d.diags = append(d.diags, diags...)
		return nil, false
	}
	out, err := fromCty(v)
	if err != nil {
		d.diags = append(d.diags, errorAt(expr.Range(), "Unsupported value", err.Error()))
		return nil, false
	}
	return out, true
}

// template rebuilds a string with interpolations, keeping each
// interpolation's source text.
func (d *decoder) template(e *hclsyntax.TemplateExpr) string {
	var s string
	for _, part := range e.Parts {
		if lit, ok := part.(*hclsyntax.LiteralValueExpr); ok && lit.Val.Type() == cty.String {
			s += lit.Val.AsString()
			continue
		}
		s += "${" + d.text(part.Range()) + "}"
	}
	return s
}

func (d *decoder) object(e *hclsyntax.ObjectConsExpr) (any, bool) {
	out := make(map[string]any, len(e.Items))
	for _, item := range e.Items {
		k, diags := item.KeyExpr.Value(nil)
		if diags.HasErrors() {
			d.diags = append(d.diags, diags...)
			return nil, false
		}
		if k.IsNull() || k.Type() != cty.String {
			d.diags = append(d.diags, errorAt(item.KeyExpr.Range(), "Invalid object key",
				"Object keys must be names or quoted strings."))
			return nil, false
		}
		v, ok := d.value(item.ValueExpr)
		if !ok {
			return nil, false
		}
		out[k.AsString()] = v
	}
	return out, true
}

// text returns the source bytes of rng, or "" when the range is out of the
// source (it never is for ranges the parser produced).
func (d *decoder) text(rng hcl.Range) string {
	if rng.Start.Byte < 0 || rng.End.Byte > len(d.src) || rng.Start.Byte > rng.End.Byte {
		return ""
	}
	return string(d.src[rng.Start.Byte:rng.End.Byte])
}

// config decodes a task's free-form config block.
func (d *decoder) config(b *hcl.Block) map[string]any {
	body, ok := b.Body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	if len(body.Blocks) > 0 {
		nb := body.Blocks[0]
		d.diags = append(d.diags, errorAt(nb.TypeRange, "Nested block in config",
			fmt.Sprintf("Write %s = { ... } instead of %s { ... }; config holds attributes only.",
				nb.Type, nb.Type)))
	}
	out := make(map[string]any, len(body.Attributes))
	for name, attr := range body.Attributes {
		if v, ok := d.value(attr.Expr); ok {
			out[name] = v
		}
	}
	return out
}

// stringMap decodes a meta or env block into dst (made when nil).
func (d *decoder) stringMap(b *hcl.Block, dst map[string]string) map[string]string {
	attrs, diags := b.Body.JustAttributes()
	d.diags = append(d.diags, diags...)
	if dst == nil {
		dst = make(map[string]string, len(attrs))
	}
	for name, attr := range attrs {
		var s string
		d.setString(attr, &s)
		dst[name] = s
	}
	return dst
}

// setString decodes a string attribute; numbers and bools are written out.
func (d *decoder) setString(attr *hcl.Attribute, dst *string) {
	if attr == nil {
		return
	}
	v, ok := d.value(attr.Expr)
	if !ok {
		return
	}
	switch x := v.(type) {
	case string:
		*dst = x
	case int64:
		*dst = strconv.FormatInt(x, 10)
	case float64:
		*dst = strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		*dst = strconv.FormatBool(x)
	default:
		d.diags = append(d.diags, errorAt(attr.Expr.Range(), "Expected a string",
			fmt.Sprintf("Set %s to a quoted string.", attr.Name)))
	}
}

// setInt decodes a whole-number attribute.
func (d *decoder) setInt(attr *hcl.Attribute, dst *int) {
	if attr == nil {
		return
	}
	v, ok := d.value(attr.Expr)
	if !ok {
		return
	}
	n, isInt := v.(int64)
	if !isInt || int64(int(n)) != n {
		d.diags = append(d.diags, errorAt(attr.Expr.Range(), "Expected a whole number",
			fmt.Sprintf("Set %s to a whole number without quotes, such as 50.", attr.Name)))
		return
	}
	*dst = int(n)
}

// setStrings decodes a list of strings.
func (d *decoder) setStrings(attr *hcl.Attribute, dst *[]string) {
	if attr == nil {
		return
	}
	v, ok := d.value(attr.Expr)
	if !ok {
		return
	}
	list, isList := v.([]any)
	out := make([]string, 0, len(list))
	for _, elem := range list {
		s, isString := elem.(string)
		if !isString {
			isList = false
			break
		}
		out = append(out, s)
	}
	if !isList {
		d.diags = append(d.diags, errorAt(attr.Expr.Range(), "Expected a list of strings",
			fmt.Sprintf(`Set %s to a list such as ["dc1", "dc2"].`, attr.Name)))
		return
	}
	*dst = out
}

// setDuration decodes a Go duration string into nanoseconds.
func (d *decoder) setDuration(attr *hcl.Attribute, dst *int64) {
	if attr == nil {
		return
	}
	v, ok := d.value(attr.Expr)
	if !ok {
		return
	}
	s, _ := v.(string)
	dur, err := time.ParseDuration(s)
	if err != nil || dur < 0 {
		d.diags = append(d.diags, errorAt(attr.Expr.Range(), "Invalid duration",
			fmt.Sprintf(`Set %s to a duration such as "30s", "5m" or "1h30m" (got %s).`,
				attr.Name, d.text(attr.Expr.Range()))))
		return
	}
	*dst = int64(dur)
}

// fromCty converts a known cty value to plain Go.
func fromCty(v cty.Value) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	if !v.IsWhollyKnown() {
		return nil, fmt.Errorf("the value is not known when the file is read; use a literal")
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString(), nil
	case t == cty.Bool:
		return v.True(), nil
	case t == cty.Number:
		return fromNumber(v.AsBigFloat()), nil
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		out := make([]any, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			x, err := fromCty(ev)
			if err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		return out, nil
	case t.IsMapType() || t.IsObjectType():
		out := make(map[string]any, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			x, err := fromCty(ev)
			if err != nil {
				return nil, err
			}
			out[k.AsString()] = x
		}
		return out, nil
	}
	return nil, fmt.Errorf("values of type %s are not supported; use a string, number, bool, list or object",
		t.FriendlyName())
}

// fromNumber returns an int64 for whole numbers that fit, else a float64.
func fromNumber(f *big.Float) any {
	if f.IsInt() {
		if n, acc := f.Int64(); acc == big.Exact {
			return n
		}
	}
	x, _ := f.Float64()
	return x
}
