package jobspec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/constellation-sched/constellation/api"
)

// Schemas of the blocks a job file may hold.
var (
	fileSchema = &hcl.BodySchema{
		Blocks: []hcl.BlockHeaderSchema{{Type: "job", LabelNames: []string{"id"}}},
	}
	jobSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "name"}, {Name: "type"}, {Name: "priority"}, {Name: "datacenters"},
		},
		Blocks: []hcl.BlockHeaderSchema{
			{Type: "meta"}, {Type: "constraint"},
			{Type: "group", LabelNames: []string{"name"}},
		},
	}
	groupSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "count"}},
		Blocks: []hcl.BlockHeaderSchema{
			{Type: "restart"}, {Type: "constraint"}, {Type: "meta"},
			{Type: "task", LabelNames: []string{"name"}},
		},
	}
	restartSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "attempts"}, {Name: "interval"}, {Name: "delay"}, {Name: "mode"},
		},
	}
	taskSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "driver", Required: true}, {Name: "kill_timeout"}},
		Blocks: []hcl.BlockHeaderSchema{
			{Type: "config"}, {Type: "env"}, {Type: "resources"},
			{Type: "constraint"}, {Type: "meta"},
		},
	}
	resourcesSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "cpu"}, {Name: "memory"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "device", LabelNames: []string{"name"}}},
	}
	deviceSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "count"}, {Name: "memory"}, {Name: "vendor"}, {Name: "model"},
			{Name: "compute_capability"}, {Name: "mig_profile"}, {Name: "sharing"},
			{Name: "mps_compute_percent"}, {Name: "mps_memory"},
		},
		Blocks: []hcl.BlockHeaderSchema{{Type: "constraint"}, {Type: "affinity"}},
	}
	constraintSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "attribute"}, {Name: "operator"}, {Name: "value"},
		},
	}
	affinitySchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "attribute"}, {Name: "operator"}, {Name: "value"}, {Name: "weight"},
		},
	}
)

// decoder walks one HCL file. It keeps the source so that attribute
// references inside strings can be copied out literally.
type decoder struct {
	src   []byte
	diags hcl.Diagnostics
}

// parseHCL decodes an HCL job file.
func parseHCL(filename string, src []byte) (*api.Job, error) {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	d := &decoder{src: src}
	content, diags := file.Body.Content(fileSchema)
	d.diags = append(d.diags, diags...)
	if d.diags.HasErrors() {
		return nil, diagError(d.diags)
	}
	switch len(content.Blocks) {
	case 0:
		return nil, diagError(hcl.Diagnostics{errorAt(file.Body.MissingItemRange(),
			"Missing job block", `The file must hold one block such as job "example" { ... }.`)})
	case 1:
	default:
		return nil, diagError(hcl.Diagnostics{errorAt(content.Blocks[1].DefRange,
			"Duplicate job block", "A job file holds exactly one job; move this job to its own file.")})
	}
	job := d.job(content.Blocks[0])
	if d.diags.HasErrors() {
		return nil, diagError(d.diags)
	}
	return job, nil
}

// content decodes a block body against a schema, recording problems.
func (d *decoder) content(body hcl.Body, schema *hcl.BodySchema) *hcl.BodyContent {
	c, diags := body.Content(schema)
	d.diags = append(d.diags, diags...)
	return c
}

func (d *decoder) job(b *hcl.Block) *api.Job {
	job := &api.Job{ID: b.Labels[0]}
	if job.ID == "" {
		d.diags = append(d.diags, errorAt(b.LabelRanges[0], "Empty job ID",
			`Give the job a name, as in job "example" { ... }.`))
	}
	c := d.content(b.Body, jobSchema)
	d.setString(c.Attributes["name"], &job.Name)
	d.setString(c.Attributes["type"], &job.Type)
	d.setInt(c.Attributes["priority"], &job.Priority)
	d.setStrings(c.Attributes["datacenters"], &job.Datacenters)
	for _, blk := range c.Blocks {
		switch blk.Type {
		case "meta":
			job.Meta = d.stringMap(blk, job.Meta)
		case "constraint":
			job.Constraints = append(job.Constraints, d.constraint(blk))
		case "group":
			job.TaskGroups = append(job.TaskGroups, d.group(blk))
		}
	}
	return job
}

func (d *decoder) group(b *hcl.Block) *api.TaskGroup {
	tg := &api.TaskGroup{Name: b.Labels[0], Count: 1}
	c := d.content(b.Body, groupSchema)
	d.setInt(c.Attributes["count"], &tg.Count)
	for _, blk := range c.Blocks {
		switch blk.Type {
		case "restart":
			if tg.RestartPolicy != nil {
				d.duplicate(blk)
			}
			tg.RestartPolicy = d.restart(blk)
		case "constraint":
			tg.Constraints = append(tg.Constraints, d.constraint(blk))
		case "meta":
			tg.Meta = d.stringMap(blk, tg.Meta)
		case "task":
			tg.Tasks = append(tg.Tasks, d.task(blk))
		}
	}
	return tg
}

func (d *decoder) restart(b *hcl.Block) *api.RestartPolicy {
	rp := &api.RestartPolicy{}
	c := d.content(b.Body, restartSchema)
	d.setInt(c.Attributes["attempts"], &rp.Attempts)
	d.setDuration(c.Attributes["interval"], &rp.Interval)
	d.setDuration(c.Attributes["delay"], &rp.Delay)
	d.setString(c.Attributes["mode"], &rp.Mode)
	return rp
}

func (d *decoder) task(b *hcl.Block) *api.Task {
	t := &api.Task{Name: b.Labels[0]}
	c := d.content(b.Body, taskSchema)
	d.setString(c.Attributes["driver"], &t.Driver)
	d.setDuration(c.Attributes["kill_timeout"], &t.KillTimeout)
	seen := map[string]bool{}
	for _, blk := range c.Blocks {
		if blk.Type != "constraint" && seen[blk.Type] {
			d.duplicate(blk)
		}
		seen[blk.Type] = true
		switch blk.Type {
		case "config":
			t.Config = d.config(blk)
		case "env":
			t.Env = d.stringMap(blk, t.Env)
		case "meta":
			t.Meta = d.stringMap(blk, t.Meta)
		case "resources":
			t.Resources = d.resources(blk)
		case "constraint":
			t.Constraints = append(t.Constraints, d.constraint(blk))
		}
	}
	return t
}

func (d *decoder) resources(b *hcl.Block) *api.Resources {
	r := &api.Resources{}
	c := d.content(b.Body, resourcesSchema)
	d.setInt(c.Attributes["cpu"], &r.CPU)
	d.setInt(c.Attributes["memory"], &r.MemoryMB)
	for _, blk := range c.Blocks {
		r.Devices = append(r.Devices, d.device(blk))
	}
	return r
}

func (d *decoder) device(b *hcl.Block) *api.DeviceRequest {
	req := &api.DeviceRequest{Name: b.Labels[0], Count: 1}
	c := d.content(b.Body, deviceSchema)
	d.setInt(c.Attributes["count"], &req.Count)
	d.setInt(c.Attributes["memory"], &req.MinMemoryMB)
	d.setString(c.Attributes["vendor"], &req.Vendor)
	d.setString(c.Attributes["model"], &req.Model)
	d.setString(c.Attributes["compute_capability"], &req.MinComputeCapability)
	d.setString(c.Attributes["mig_profile"], &req.MIGProfile)
	d.setString(c.Attributes["sharing"], &req.Sharing)
	d.setInt(c.Attributes["mps_compute_percent"], &req.MPSComputePercent)
	d.setInt(c.Attributes["mps_memory"], &req.MPSMemoryMB)
	for _, blk := range c.Blocks {
		switch blk.Type {
		case "constraint":
			req.Constraints = append(req.Constraints, d.constraint(blk))
		case "affinity":
			req.Affinities = append(req.Affinities, d.affinity(blk))
		}
	}
	return req
}

func (d *decoder) constraint(b *hcl.Block) *api.Constraint {
	con := &api.Constraint{Operand: api.ConstraintEqual}
	c := d.content(b.Body, constraintSchema)
	d.setString(c.Attributes["attribute"], &con.LTarget)
	d.setString(c.Attributes["operator"], &con.Operand)
	d.setString(c.Attributes["value"], &con.RTarget)
	if a := c.Attributes["operator"]; a != nil && !validOperand(con.Operand) {
		d.diags = append(d.diags, errorAt(a.Expr.Range(), "Unknown constraint operator",
			"Use one of "+operandList+"."))
	}
	return con
}

func (d *decoder) affinity(b *hcl.Block) *api.Affinity {
	aff := &api.Affinity{Operand: api.ConstraintEqual, Weight: 50}
	c := d.content(b.Body, affinitySchema)
	d.setString(c.Attributes["attribute"], &aff.LTarget)
	d.setString(c.Attributes["operator"], &aff.Operand)
	d.setString(c.Attributes["value"], &aff.RTarget)
	d.setInt(c.Attributes["weight"], &aff.Weight)
	if a := c.Attributes["operator"]; a != nil && !validOperand(aff.Operand) {
		d.diags = append(d.diags, errorAt(a.Expr.Range(), "Unknown affinity operator",
			"Use one of "+operandList+"."))
	}
	if a := c.Attributes["weight"]; a != nil && (aff.Weight < -100 || aff.Weight > 100) {
		d.diags = append(d.diags, errorAt(a.Expr.Range(), "Affinity weight out of range",
			"Use a weight from -100 to 100."))
	}
	return aff
}

func (d *decoder) duplicate(b *hcl.Block) {
	d.diags = append(d.diags, errorAt(b.DefRange, "Duplicate "+b.Type+" block",
		"Only one "+b.Type+" block is allowed here; merge the two."))
}
