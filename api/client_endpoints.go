package api

import (
	"context"
	"io"
	"net/http"
)

// Jobs lists jobs.
func (c *Client) Jobs(ctx context.Context, q *QueryOptions) ([]*JobListStub, *QueryMeta, error) {
	var out []*JobListStub
	m, err := c.Do(ctx, http.MethodGet, "/v1/jobs", q, nil, &out)
	return out, m, err
}

// RegisterJob submits a new job or a new version of one.
func (c *Client) RegisterJob(ctx context.Context, req *JobRegisterRequest) (*JobRegisterResponse, error) {
	var out JobRegisterResponse
	_, err := c.Do(ctx, http.MethodPost, "/v1/jobs", nil, req, &out)
	return &out, err
}

// Job reads one job.
func (c *Client) Job(ctx context.Context, id string, q *QueryOptions) (*Job, *QueryMeta, error) {
	var out Job
	m, err := c.Do(ctx, http.MethodGet, "/v1/job/"+esc(id), q, nil, &out)
	return &out, m, err
}

// StopJob stops a job; purge removes it from state as well.
func (c *Client) StopJob(ctx context.Context, id string, purge bool) (*JobRegisterResponse, error) {
	var out JobRegisterResponse
	q := &QueryOptions{}
	if purge {
		q.Params = map[string]string{"purge": "true"}
	}
	_, err := c.Do(ctx, http.MethodDelete, "/v1/job/"+esc(id), q, nil, &out)
	return &out, err
}

// ScaleJob sets a task group's count.
func (c *Client) ScaleJob(ctx context.Context, id, group string, count int) (*JobRegisterResponse, error) {
	var out JobRegisterResponse
	req := &JobScaleRequest{Group: group, Count: count}
	_, err := c.Do(ctx, http.MethodPost, "/v1/job/"+esc(id)+"/scale", nil, req, &out)
	return &out, err
}

// JobVersions lists the stored versions of a job, newest first.
func (c *Client) JobVersions(ctx context.Context, id string, q *QueryOptions) ([]*Job, *QueryMeta, error) {
	var out []*Job
	m, err := c.Do(ctx, http.MethodGet, "/v1/job/"+esc(id)+"/versions", q, nil, &out)
	return out, m, err
}

// JobAllocations lists a job's allocations.
func (c *Client) JobAllocations(ctx context.Context, id string, q *QueryOptions) ([]*AllocListStub, *QueryMeta, error) {
	var out []*AllocListStub
	m, err := c.Do(ctx, http.MethodGet, "/v1/job/"+esc(id)+"/allocations", q, nil, &out)
	return out, m, err
}

// JobEvaluations lists a job's evaluations.
func (c *Client) JobEvaluations(ctx context.Context, id string, q *QueryOptions) ([]*Evaluation, *QueryMeta, error) {
	var out []*Evaluation
	m, err := c.Do(ctx, http.MethodGet, "/v1/job/"+esc(id)+"/evaluations", q, nil, &out)
	return out, m, err
}

// Allocations lists all allocations.
func (c *Client) Allocations(ctx context.Context, q *QueryOptions) ([]*AllocListStub, *QueryMeta, error) {
	var out []*AllocListStub
	m, err := c.Do(ctx, http.MethodGet, "/v1/allocations", q, nil, &out)
	return out, m, err
}

// Allocation reads one allocation. A unique prefix of its ID is enough.
func (c *Client) Allocation(ctx context.Context, id string, q *QueryOptions) (*Allocation, *QueryMeta, error) {
	var out Allocation
	m, err := c.Do(ctx, http.MethodGet, "/v1/allocation/"+esc(id), q, nil, &out)
	return &out, m, err
}

// AllocLogs copies a task's stdout or stderr ("stdout" or "stderr") into w.
func (c *Client) AllocLogs(ctx context.Context, allocID, task, stream string, w io.Writer) error {
	q := &QueryOptions{Params: map[string]string{"task": task, "type": stream}}
	_, err := c.Do(ctx, http.MethodGet, "/v1/client/fs/logs/"+esc(allocID), q, nil, w)
	return err
}

// Evaluation reads one evaluation.
func (c *Client) Evaluation(ctx context.Context, id string, q *QueryOptions) (*Evaluation, *QueryMeta, error) {
	var out Evaluation
	m, err := c.Do(ctx, http.MethodGet, "/v1/evaluation/"+esc(id), q, nil, &out)
	return &out, m, err
}

// Evaluations lists evaluations.
func (c *Client) Evaluations(ctx context.Context, q *QueryOptions) ([]*Evaluation, *QueryMeta, error) {
	var out []*Evaluation
	m, err := c.Do(ctx, http.MethodGet, "/v1/evaluations", q, nil, &out)
	return out, m, err
}

// Nodes lists client nodes.
func (c *Client) Nodes(ctx context.Context, q *QueryOptions) ([]*NodeListStub, *QueryMeta, error) {
	var out []*NodeListStub
	m, err := c.Do(ctx, http.MethodGet, "/v1/nodes", q, nil, &out)
	return out, m, err
}

// Node reads one node. A unique prefix of its ID is enough.
func (c *Client) Node(ctx context.Context, id string, q *QueryOptions) (*Node, *QueryMeta, error) {
	var out Node
	m, err := c.Do(ctx, http.MethodGet, "/v1/node/"+esc(id), q, nil, &out)
	return &out, m, err
}

// DrainNode turns draining on or off for a node.
func (c *Client) DrainNode(ctx context.Context, id string, enable bool) error {
	_, err := c.Do(ctx, http.MethodPost, "/v1/node/"+esc(id)+"/drain", nil, &NodeDrainRequest{Enable: enable}, nil)
	return err
}

// NodeAllocations lists the full allocations placed on a node.
func (c *Client) NodeAllocations(ctx context.Context, id string, q *QueryOptions) ([]*Allocation, *QueryMeta, error) {
	var out []*Allocation
	m, err := c.Do(ctx, http.MethodGet, "/v1/node/"+esc(id)+"/allocations", q, nil, &out)
	return out, m, err
}

// RegisterNode registers or updates a client node.
func (c *Client) RegisterNode(ctx context.Context, n *Node) (*NodeRegisterResponse, error) {
	var out NodeRegisterResponse
	_, err := c.Do(ctx, http.MethodPost, "/v1/client/register", nil, n, &out)
	return &out, err
}

// Heartbeat tells the servers the node is alive.
func (c *Client) Heartbeat(ctx context.Context, nodeID string) (*NodeRegisterResponse, error) {
	var out NodeRegisterResponse
	_, err := c.Do(ctx, http.MethodPut, "/v1/client/heartbeat/"+esc(nodeID), nil, nil, &out)
	return &out, err
}

// UpdateAllocs reports allocation client statuses and task states.
func (c *Client) UpdateAllocs(ctx context.Context, allocs []*Allocation) error {
	_, err := c.Do(ctx, http.MethodPost, "/v1/client/allocations", nil, &AllocUpdateRequest{Allocs: allocs}, nil)
	return err
}

// Leader returns the Raft address of the leader.
func (c *Client) Leader(ctx context.Context) (string, error) {
	var out string
	_, err := c.Do(ctx, http.MethodGet, "/v1/status/leader", nil, nil, &out)
	return out, err
}

// Peers returns the Raft addresses of the voting servers.
func (c *Client) Peers(ctx context.Context) ([]string, error) {
	var out []string
	_, err := c.Do(ctx, http.MethodGet, "/v1/status/peers", nil, nil, &out)
	return out, err
}

// Self describes the agent the client talks to.
func (c *Client) Self(ctx context.Context) (*AgentSelf, error) {
	var out AgentSelf
	_, err := c.Do(ctx, http.MethodGet, "/v1/agent/self", nil, nil, &out)
	return &out, err
}

// Members lists the gossip pool as the agent sees it.
func (c *Client) Members(ctx context.Context) ([]*Member, error) {
	var out []*Member
	_, err := c.Do(ctx, http.MethodGet, "/v1/agent/members", nil, nil, &out)
	return out, err
}

// RaftConfiguration returns the Raft configuration.
func (c *Client) RaftConfiguration(ctx context.Context) (*RaftConfiguration, error) {
	var out RaftConfiguration
	_, err := c.Do(ctx, http.MethodGet, "/v1/operator/raft/configuration", nil, nil, &out)
	return &out, err
}

// GPUs lists every GPU and MIG instance in the cluster with its users.
func (c *Client) GPUs(ctx context.Context, q *QueryOptions) ([]*GPUStatus, *QueryMeta, error) {
	var out []*GPUStatus
	m, err := c.Do(ctx, http.MethodGet, "/v1/gpus", q, nil, &out)
	return out, m, err
}

// ReportTelemetry sends a client's samples to the servers.
func (c *Client) ReportTelemetry(ctx context.Context, r *TelemetryReport) error {
	_, err := c.Do(ctx, http.MethodPost, "/v1/client/telemetry", nil, r, nil)
	return err
}

// Telemetry returns the recent history of every series whose name starts
// with prefix.
func (c *Client) Telemetry(ctx context.Context, prefix string) ([]*TelemetrySeries, error) {
	var out []*TelemetrySeries
	q := &QueryOptions{Params: map[string]string{"prefix": prefix}}
	_, err := c.Do(ctx, http.MethodGet, "/v1/telemetry", q, nil, &out)
	return out, err
}
