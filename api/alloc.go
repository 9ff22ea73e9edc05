package api

// Allocation desired statuses, set by the servers.
const (
	AllocDesiredRun   = "run"
	AllocDesiredStop  = "stop"
	AllocDesiredEvict = "evict"
)

// Allocation client statuses, reported by the client (lost is set by the
// servers when the node goes down).
const (
	AllocClientPending  = "pending"
	AllocClientRunning  = "running"
	AllocClientComplete = "complete"
	AllocClientFailed   = "failed"
	AllocClientLost     = "lost"
)

// Allocation is one placement of a task group on a node.
type Allocation struct {
	ID        string
	EvalID    string
	Name      string // job.group[index]
	NodeID    string
	JobID     string
	TaskGroup string
	// Job is the job as it was when this allocation was placed or last
	// updated.
	Job *Job

	// Resources is what was reserved on the node, per task.
	Resources map[string]*AllocatedResources

	DesiredStatus      string
	DesiredDescription string
	ClientStatus       string
	ClientDescription  string
	TaskStates         map[string]*TaskState

	// PreviousAllocation is the allocation this one replaces.
	PreviousAllocation string
	// RescheduleCount counts how many allocations came before this one in
	// its chain of replacements.
	RescheduleCount int

	CreateIndex uint64
	ModifyIndex uint64
	// AllocModifyIndex is the index at which the servers last changed the
	// allocation's desired state (not its client status).
	AllocModifyIndex uint64
	CreateTime       int64
	ModifyTime       int64
}

// AllocatedResources is what one task holds on its node.
type AllocatedResources struct {
	CPU      int
	MemoryMB int
	Devices  []*AllocatedDevice
}

// AllocatedDevice names the exact device instances given to a task.
type AllocatedDevice struct {
	Vendor    string
	Type      string
	Model     string
	DeviceIDs []string
	Sharing   string
	// MPSComputePercent and MPSMemoryMB are set for MPS shares.
	MPSComputePercent int
	MPSMemoryMB       int
}

// Terminal reports whether the allocation will not run again: the servers
// want it stopped, or the client finished with it.
func (a *Allocation) Terminal() bool {
	switch a.DesiredStatus {
	case AllocDesiredStop, AllocDesiredEvict:
		return true
	}
	return a.ClientTerminal()
}

// ClientTerminal reports whether the client has finished with the
// allocation.
func (a *Allocation) ClientTerminal() bool {
	switch a.ClientStatus {
	case AllocClientComplete, AllocClientFailed, AllocClientLost:
		return true
	}
	return false
}

// Task states.
const (
	TaskStatePending = "pending"
	TaskStateRunning = "running"
	TaskStateDead    = "dead"
)

// TaskState is what the client reports of one task.
type TaskState struct {
	State      string
	Failed     bool
	Restarts   int
	ExitCode   int
	StartedAt  int64
	FinishedAt int64
	Events     []*TaskEvent
}

// Task event types.
const (
	TaskEventReceived   = "Received"
	TaskEventStarted    = "Started"
	TaskEventTerminated = "Terminated"
	TaskEventRestarting = "Restarting"
	TaskEventKilled     = "Killed"
	TaskEventDriverErr  = "Driver Failure"
	TaskEventNotRestart = "Not Restarting"
	TaskEventLimit      = "Limit Reached"
)

// TaskEvent is one step in a task's life.
type TaskEvent struct {
	Type     string
	Time     int64
	Message  string
	ExitCode int
}

// AllocListStub is the short form of an allocation in lists.
type AllocListStub struct {
	ID            string
	Name          string
	NodeID        string
	JobID         string
	JobVersion    uint64
	TaskGroup     string
	DesiredStatus string
	ClientStatus  string
	CreateIndex   uint64
	ModifyIndex   uint64
	CreateTime    int64
	ModifyTime    int64
}

// Stub returns the short form of the allocation.
func (a *Allocation) Stub() *AllocListStub {
	s := &AllocListStub{
		ID: a.ID, Name: a.Name, NodeID: a.NodeID, JobID: a.JobID,
		TaskGroup: a.TaskGroup, DesiredStatus: a.DesiredStatus,
		ClientStatus: a.ClientStatus, CreateIndex: a.CreateIndex,
		ModifyIndex: a.ModifyIndex, CreateTime: a.CreateTime,
		ModifyTime: a.ModifyTime,
	}
	if a.Job != nil {
		s.JobVersion = a.Job.Version
	}
	return s
}
