package fsm

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/hashicorp/raft"
)

// FSM is the Raft state machine of the servers. Raft calls Apply with each
// committed command, Snapshot and Restore to compact and rebuild; the
// server reads through State. Apply is deterministic (see the package
// documentation).
type FSM struct {
	logger *slog.Logger
	state  *StateStore
}

// applyFunc decodes one command body and applies it at a Raft index.
type applyFunc func(s *StateStore, index uint64, body []byte) error

// handlers maps each message type to its apply function.
var handlers = map[MessageType]applyFunc{
	JobRegisterRequestType:       handle((*writeTxn).jobRegister),
	JobDeregisterRequestType:     handle((*writeTxn).jobDeregister),
	EvalUpdateRequestType:        handle((*writeTxn).evalUpdate),
	EvalDeleteRequestType:        handle((*writeTxn).evalDelete),
	PlanApplyRequestType:         handle((*writeTxn).planApply),
	AllocClientUpdateRequestType: handle((*writeTxn).allocClientUpdate),
	NodeRegisterRequestType:      handle((*writeTxn).nodeRegister),
	NodeStatusUpdateRequestType:  handle((*writeTxn).nodeStatusUpdate),
	NodeDrainRequestType:         handle((*writeTxn).nodeDrain),
	NodeEligibilityRequestType:   handle((*writeTxn).nodeEligibility),
	NodeDeregisterRequestType:    handle((*writeTxn).nodeDeregister),
}

// New returns an FSM over an empty state store. A nil logger discards
// logs.
func New(logger *slog.Logger) *FSM {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &FSM{logger: logger, state: NewStateStore()}
}

// State returns the state store. It is the same store for the FSM's whole
// life: Restore swaps its contents, not the store.
func (f *FSM) State() *StateStore {
	return f.state
}

// Apply applies one committed command. It returns nil when the command was
// applied, and an error value when it was refused, in which case state is
// unchanged: ErrUnknownMessageType or ErrMalformedCommand for bytes that
// are not a valid command, ErrIndexMismatch, ErrJobNotFound or
// ErrNodeNotFound for a command that does not fit the current state.
func (f *FSM) Apply(log *raft.Log) any {
	if len(log.Data) == 0 {
		return fmt.Errorf("apply index %d: %w: empty command", log.Index, ErrMalformedCommand)
	}
	t := MessageType(log.Data[0])
	apply, ok := handlers[t]
	if !ok {
		return fmt.Errorf("apply index %d: %w: %d", log.Index, ErrUnknownMessageType, log.Data[0])
	}

	if err := apply(f.state, log.Index, log.Data[1:]); err != nil {
		f.logger.Debug("command refused", "message_type", t.String(), "index", log.Index, "error", err)
		return err
	}
	f.logger.Debug("command applied", "message_type", t.String(), "index", log.Index)
	return nil
}

// Snapshot captures the state for Raft to persist. It is cheap: the
// capture is a memdb read transaction, written out later by Persist while
// Apply goes on.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	return &fsmSnapshot{snap: f.state.Snapshot()}, nil
}

// Restore replaces the state with a snapshot written by Persist. It builds
// a fresh store from the stream and swaps it in at once, so readers see
// either the old state or the new, and wakes every blocked query. On error
// the state is left as it was.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	fresh, err := readSnapshot(rc)
	if err != nil {
		return fmt.Errorf("restore snapshot: %w", err)
	}
	f.state.replace(fresh)
	f.logger.Info("restored state snapshot", "index", f.state.Snapshot().LatestIndex())
	return nil
}

// handle makes the apply function of one request type: decode the body,
// then run fn in one write transaction.
func handle[T any](fn func(tx *writeTxn, req *T) error) applyFunc {
	return func(s *StateStore, index uint64, body []byte) error {
		var req T
		if err := decode(body, &req); err != nil {
			var zero T
			return fmt.Errorf("apply %T: %w", zero, err)
		}
		return s.write(index, func(tx *writeTxn) error { return fn(tx, &req) })
	}
}
