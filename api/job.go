package api

// Job types.
const (
	// JobTypeService is a job whose tasks are kept running: restarted on
	// failure and rescheduled when their node is lost.
	JobTypeService = "service"
	// JobTypeBatch is a job whose tasks run to completion.
	JobTypeBatch = "batch"
)

// Job statuses.
const (
	JobStatusPending = "pending"
	JobStatusRunning = "running"
	JobStatusDead    = "dead"
)

// Job is a unit of work submitted by a user: one or more task groups, each
// placed Count times.
type Job struct {
	ID          string
	Name        string
	Type        string
	Priority    int
	Datacenters []string
	Constraints []*Constraint
	TaskGroups  []*TaskGroup
	Meta        map[string]string

	// Stop is set when the user stops the job; its allocations are stopped
	// but the job stays readable until garbage collected.
	Stop bool

	// Status is computed by the servers from the job's allocations.
	Status string

	// Version counts the registrations of this job that changed its spec,
	// starting at 0.
	Version uint64

	// SubmitTime is the Unix time in nanoseconds at which the server that
	// took the request received it. It is set before the Raft command is
	// made so that the FSM stays deterministic.
	SubmitTime int64

	CreateIndex    uint64
	ModifyIndex    uint64
	JobModifyIndex uint64
}

// TaskGroup is a set of tasks placed together on one node, Count times.
type TaskGroup struct {
	Name          string
	Count         int
	Constraints   []*Constraint
	RestartPolicy *RestartPolicy
	Tasks         []*Task
	Meta          map[string]string
}

// Restart policy modes.
const (
	// RestartModeFail fails the allocation once Attempts restarts have been
	// used within Interval.
	RestartModeFail = "fail"
	// RestartModeDelay waits out the rest of Interval and then restarts.
	RestartModeDelay = "delay"
)

// RestartPolicy says how the client restarts a failed task in place.
// Durations are in nanoseconds on the wire (Go's time.Duration).
type RestartPolicy struct {
	Attempts int
	Interval int64
	Delay    int64
	Mode     string
}

// Task is one process, WebAssembly module or function run by a driver.
type Task struct {
	Name        string
	Driver      string
	Config      map[string]any
	Env         map[string]string
	Resources   *Resources
	Constraints []*Constraint
	// KillTimeout is how long the driver waits after asking a task to stop
	// before it kills it, in nanoseconds.
	KillTimeout int64
	Meta        map[string]string
}

// Resources is what a task asks of its node.
type Resources struct {
	// CPU is in MHz.
	CPU int
	// MemoryMB is in mebibytes.
	MemoryMB int
	// Devices asks for GPUs and other devices.
	Devices []*DeviceRequest
}

// GPU sharing modes.
const (
	SharingExclusive = "exclusive"
	SharingMPS       = "mps"
	SharingTimeslice = "timeslice"
)

// DeviceRequest asks for Count device instances of a kind.
type DeviceRequest struct {
	// Name selects the device kind as "type", "vendor/type" or
	// "vendor/type/model", for example "gpu" or "nvidia/gpu".
	Name  string
	Count int

	// MinMemoryMB is the least memory each device instance must have.
	MinMemoryMB int
	// Vendor and Model are regular expressions matched against the
	// device group's vendor and model when set.
	Vendor string
	Model  string
	// MinComputeCapability is a version such as "8.0".
	MinComputeCapability string
	// MIGProfile asks for a MIG instance of this profile, such as
	// "1g.10gb", instead of a whole GPU.
	MIGProfile string

	// Sharing is exclusive (the default), mps or timeslice.
	Sharing string
	// MPSComputePercent and MPSMemoryMB give the share of one GPU an MPS
	// client gets.
	MPSComputePercent int
	MPSMemoryMB       int

	Constraints []*Constraint
	Affinities  []*Affinity
}

// Constraint operands.
const (
	ConstraintEqual         = "="
	ConstraintNotEqual      = "!="
	ConstraintRegex         = "regexp"
	ConstraintVersion       = "version"
	ConstraintDistinctHosts = "distinct_hosts"
	ConstraintLess          = "<"
	ConstraintLessEqual     = "<="
	ConstraintGreater       = ">"
	ConstraintGreaterEqual  = ">="
	ConstraintIsSet         = "is_set"
)

// Constraint restricts where a job, group or task may be placed. LTarget is
// usually an attribute reference such as "${attr.kernel.name}" or
// "${node.datacenter}"; RTarget is a literal.
type Constraint struct {
	LTarget string
	RTarget string
	Operand string
}

// Affinity is a soft constraint: nodes or devices that match get Weight
// (from -100 to 100) added to their score.
type Affinity struct {
	LTarget string
	RTarget string
	Operand string
	Weight  int
}
