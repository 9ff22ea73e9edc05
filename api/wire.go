package api

// HTTP headers used by the API.
const (
	// HeaderIndex carries the Raft index a read was answered at; pass it
	// back as ?index= to block until state moves past it.
	HeaderIndex = "X-Constellation-Index"
	// HeaderKnownLeader says whether the answering server knew a leader.
	HeaderKnownLeader = "X-Constellation-KnownLeader"
	// HeaderForwarded marks a request a follower forwarded to the leader.
	HeaderForwarded = "X-Constellation-Forwarded"
)

// ErrorResponse is the body of every error answer.
type ErrorResponse struct {
	Error string `json:"error"`
}

// JobRegisterRequest is the body of POST /v1/jobs.
type JobRegisterRequest struct {
	Job *Job
	// EnforceIndex makes the register fail unless the job's current
	// JobModifyIndex equals JobModifyIndex (0: the job must not exist).
	EnforceIndex   bool
	JobModifyIndex uint64
}

// JobRegisterResponse answers a job register, stop or scale.
type JobRegisterResponse struct {
	EvalID         string
	JobModifyIndex uint64
	JobVersion     uint64
	Index          uint64
	Warnings       string `json:",omitempty"`
}

// JobScaleRequest is the body of POST /v1/job/{id}/scale.
type JobScaleRequest struct {
	Group string
	Count int
}

// JobListStub is the short form of a job in lists.
type JobListStub struct {
	ID             string
	Name           string
	Type           string
	Priority       int
	Status         string
	Stop           bool
	Version        uint64
	SubmitTime     int64
	CreateIndex    uint64
	ModifyIndex    uint64
	JobModifyIndex uint64
}

// Stub returns the short form of the job.
func (j *Job) Stub() *JobListStub {
	return &JobListStub{
		ID: j.ID, Name: j.Name, Type: j.Type, Priority: j.Priority,
		Status: j.Status, Stop: j.Stop, Version: j.Version,
		SubmitTime: j.SubmitTime, CreateIndex: j.CreateIndex,
		ModifyIndex: j.ModifyIndex, JobModifyIndex: j.JobModifyIndex,
	}
}

// NodeRegisterResponse answers a node register or heartbeat.
type NodeRegisterResponse struct {
	// HeartbeatTTL is how long, in nanoseconds, the server waits for the
	// next heartbeat before marking the node down.
	HeartbeatTTL int64
	Index        uint64
	// Servers lists the HTTP addresses of the known servers.
	Servers []string
}

// NodeDrainRequest is the body of POST /v1/node/{id}/drain.
type NodeDrainRequest struct {
	Enable bool
}

// NodeEligibilityRequest is the body of POST /v1/node/{id}/eligibility.
type NodeEligibilityRequest struct {
	Eligibility string
}

// AllocUpdateRequest is the body of POST /v1/client/allocations: the task
// states a client reports.
type AllocUpdateRequest struct {
	Allocs []*Allocation
}

// Member is one agent in the gossip pool.
type Member struct {
	Name     string
	Addr     string
	Port     int
	Role     string // server or client
	Status   string // alive, suspect, left, failed
	HTTPAddr string
	RaftAddr string
	NodeID   string
	Tags     map[string]string
}

// RaftServer is one member of the Raft configuration.
type RaftServer struct {
	ID       string
	Address  string
	Suffrage string
	Leader   bool
}

// RaftConfiguration answers GET /v1/operator/raft/configuration.
type RaftConfiguration struct {
	Servers []*RaftServer
	Index   uint64
}

// AgentSelf answers GET /v1/agent/self.
type AgentSelf struct {
	Name     string
	Server   bool
	Client   bool
	NodeID   string
	HTTPAddr string
	RaftAddr string
	Leader   string
	Version  string
	Stats    map[string]string
}

// GPUStatus is one device, or MIG instance, in GET /v1/gpus.
type GPUStatus struct {
	NodeID     string
	NodeName   string
	Vendor     string
	Model      string
	ID         string
	ParentID   string
	MIGProfile string
	MemoryMB   int
	Healthy    bool
	Mocked     bool
	// Allocations lists the allocations using the device, with their
	// sharing mode.
	Allocations []*GPUUse
}

// GPUUse is one allocation on a device.
type GPUUse struct {
	AllocID           string
	JobID             string
	Task              string
	Sharing           string
	MPSComputePercent int
	MPSMemoryMB       int
}
