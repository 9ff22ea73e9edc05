package fsm

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"

	"github.com/hashicorp/go-msgpack/v2/codec"

	"github.com/constellation-sched/constellation/api"
)

// MessageType is the first byte of every Raft command and says which
// request type the msgpack body holds. Values are part of the log format:
// never renumber one, only add.
type MessageType uint8

// Command types.
const (
	JobRegisterRequestType MessageType = iota + 1
	JobDeregisterRequestType
	EvalUpdateRequestType
	EvalDeleteRequestType
	PlanApplyRequestType
	AllocClientUpdateRequestType
	NodeRegisterRequestType
	NodeStatusUpdateRequestType
	NodeDrainRequestType
	NodeEligibilityRequestType
	NodeDeregisterRequestType
)

// ErrUnknownMessageType is returned by Encode, and by Apply as its
// response, when a command's type byte names no known command.
var ErrUnknownMessageType = errors.New("unknown message type")

// ErrMalformedCommand is returned by Apply as its response when a command's
// body does not decode into its request type, or is missing a field the
// command cannot do without (such as a job's ID).
var ErrMalformedCommand = errors.New("malformed command")

// requestTypes maps each message type to the request struct it carries.
var requestTypes = map[MessageType]reflect.Type{
	JobRegisterRequestType:       reflect.TypeFor[JobRegisterRequest](),
	JobDeregisterRequestType:     reflect.TypeFor[JobDeregisterRequest](),
	EvalUpdateRequestType:        reflect.TypeFor[EvalUpdateRequest](),
	EvalDeleteRequestType:        reflect.TypeFor[EvalDeleteRequest](),
	PlanApplyRequestType:         reflect.TypeFor[PlanApplyRequest](),
	AllocClientUpdateRequestType: reflect.TypeFor[AllocClientUpdateRequest](),
	NodeRegisterRequestType:      reflect.TypeFor[NodeRegisterRequest](),
	NodeStatusUpdateRequestType:  reflect.TypeFor[NodeStatusUpdateRequest](),
	NodeDrainRequestType:         reflect.TypeFor[NodeDrainRequest](),
	NodeEligibilityRequestType:   reflect.TypeFor[NodeEligibilityRequest](),
	NodeDeregisterRequestType:    reflect.TypeFor[NodeDeregisterRequest](),
}

// String returns the request type's name, or "MessageType(n)" for an
// unknown value.
func (t MessageType) String() string {
	if rt, ok := requestTypes[t]; ok {
		return rt.Name()
	}
	return fmt.Sprintf("MessageType(%d)", uint8(t))
}

// JobRegisterRequest stores a job, new or changed, with the evaluation that
// will place it.
type JobRegisterRequest struct {
	Job  *api.Job
	Eval *api.Evaluation
	// EnforceIndex refuses the register unless the stored job's
	// JobModifyIndex equals JobModifyIndex; 0 means the job must not exist.
	EnforceIndex   bool
	JobModifyIndex uint64
}

// JobDeregisterRequest stops a job (a new version with Stop set) or, with
// Purge, deletes it and its versions.
type JobDeregisterRequest struct {
	JobID string
	Purge bool
	Eval  *api.Evaluation
	// SubmitTime becomes the stopped version's SubmitTime.
	SubmitTime int64
}

// EvalUpdateRequest creates or replaces evaluations.
type EvalUpdateRequest struct {
	Evals []*api.Evaluation
}

// EvalDeleteRequest deletes evaluations; unknown IDs are ignored.
type EvalDeleteRequest struct {
	EvalIDs []string
}

// PlanApplyRequest commits what the plan applier accepted of one plan,
// together with its evaluation updates, in one transaction.
type PlanApplyRequest struct {
	EvalID string
	// Job is the job the placements run; an entry of Alloc whose Job is nil
	// gets this one.
	Job *api.Job
	// NodeUpdate holds allocations to stop or mark lost. Only their
	// DesiredStatus and DesiredDescription, and ClientStatus and
	// ClientDescription when set, are merged into the stored allocation;
	// unknown allocations are ignored.
	NodeUpdate []*api.Allocation
	// Alloc holds new placements and in-place updates as complete objects.
	// An update keeps the stored allocation's client-reported fields.
	Alloc []*api.Allocation
	// Evals are evaluation updates and follow-up evaluations.
	Evals []*api.Evaluation
	// Timestamp is the Unix time in nanoseconds stamped on changed
	// allocations.
	Timestamp int64
}

// AllocClientUpdateRequest carries what clients report of their
// allocations. Only ClientStatus, ClientDescription and TaskStates are
// merged; unknown allocations are ignored, and an allocation that is
// already client-terminal (complete, failed or lost) keeps its status.
type AllocClientUpdateRequest struct {
	Allocs []*api.Allocation
	// Evals are follow-up evaluations, such as for failed allocations.
	Evals []*api.Evaluation
	// Timestamp is the Unix time in nanoseconds stamped on changed
	// allocations.
	Timestamp int64
}

// NodeRegisterRequest creates or replaces a node, which is also how a
// client reports new devices and their health. The stored Drain and
// Eligibility of a known node are kept: they belong to the operators.
type NodeRegisterRequest struct {
	Node  *api.Node
	Evals []*api.Evaluation
}

// NodeStatusUpdateRequest changes a node's status (ready, down).
type NodeStatusUpdateRequest struct {
	NodeID      string
	Status      string
	Description string
	UpdatedAt   int64
	Evals       []*api.Evaluation
}

// NodeDrainRequest turns draining on or off. Draining makes the node
// ineligible; ending it makes the node eligible again.
type NodeDrainRequest struct {
	NodeID    string
	Drain     bool
	UpdatedAt int64
	Evals     []*api.Evaluation
}

// NodeEligibilityRequest marks a node eligible or ineligible for new
// placements.
type NodeEligibilityRequest struct {
	NodeID      string
	Eligibility string
	Evals       []*api.Evaluation
}

// NodeDeregisterRequest deletes a node. Its allocations stay until the
// scheduler stops them.
type NodeDeregisterRequest struct {
	NodeID string
}

// msgpackHandle is the codec for commands and snapshots. Canonical sorts
// map keys so that equal state encodes to equal bytes; MapType makes
// schema-less maps (task driver config) decode as map[string]any.
var msgpackHandle = func() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{}
	h.Canonical = true
	h.RawToString = true
	h.MapType = reflect.TypeFor[map[string]any]()
	h.TypeInfos = codec.NewTypeInfos([]string{"codec"})
	return h
}()

// Encode makes a Raft command: the type byte, then req in msgpack. req must
// be the request type t names, as a value or a pointer.
func Encode(t MessageType, req any) ([]byte, error) {
	want, ok := requestTypes[t]
	if !ok {
		return nil, fmt.Errorf("encode command: %w: %d", ErrUnknownMessageType, uint8(t))
	}
	if got := reflect.Indirect(reflect.ValueOf(req)); !got.IsValid() || got.Type() != want {
		return nil, fmt.Errorf("encode command: %s needs a %s, got %T", t, want.Name(), req)
	}

	var buf bytes.Buffer
	buf.WriteByte(byte(t))
	if err := codec.NewEncoder(&buf, msgpackHandle).Encode(req); err != nil {
		return nil, fmt.Errorf("encode command %s: %w", t, err)
	}
	return buf.Bytes(), nil
}

// decode decodes a command body into out.
func decode(body []byte, out any) error {
	if err := codec.NewDecoderBytes(body, msgpackHandle).Decode(out); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedCommand, err)
	}
	return nil
}

// encodeCanonical returns v in canonical msgpack, for comparing specs.
func encodeCanonical(v any) ([]byte, error) {
	var out []byte
	err := codec.NewEncoderBytes(&out, msgpackHandle).Encode(v)
	return out, err
}
