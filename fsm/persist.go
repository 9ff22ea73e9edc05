package fsm

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/hashicorp/raft"

	"github.com/constellation-sched/constellation/api"
)

// snapshotVersion is the format of snapshots this package writes. Restore
// refuses any other.
const snapshotVersion = 1

// recordType tags each object in a snapshot stream with its table.
type recordType uint8

// Snapshot record types. Values are part of the snapshot format: never
// renumber one, only add.
const (
	recordIndex recordType = iota + 1
	recordNode
	recordJob
	recordJobVersion
	recordEval
	recordAlloc
	// recordEnd closes the stream, so that a truncated one is noticed.
	recordEnd recordType = 0xff
)

// tableRecords maps each table to the record type of its rows.
var tableRecords = map[string]recordType{
	TableNodes:       recordNode,
	TableJobs:        recordJob,
	TableJobVersions: recordJobVersion,
	TableEvals:       recordEval,
	TableAllocs:      recordAlloc,
}

// snapshotHeader opens every snapshot stream.
type snapshotHeader struct {
	Version int
}

// fsmSnapshot is a captured state waiting for Raft to persist it.
type fsmSnapshot struct {
	snap *Snapshot
}

// Persist writes the snapshot: a header, then every row of the index
// table and of each data table in a fixed table order and in ID order
// within a table, each as a record type and a msgpack object, then an end
// record. Equal states give equal bytes.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := s.write(sink); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("persist snapshot: %w", err)
	}
	if err := sink.Close(); err != nil {
		return fmt.Errorf("persist snapshot: %w", err)
	}
	return nil
}

// Release does nothing: the capture is a read transaction that needs no
// closing.
func (s *fsmSnapshot) Release() {}

// write streams the snapshot to w.
func (s *fsmSnapshot) write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := codec.NewEncoder(bw, msgpackHandle)
	if err := enc.Encode(&snapshotHeader{Version: snapshotVersion}); err != nil {
		return fmt.Errorf("write header: %w", err)
	}

	if err := s.writeTable(enc, TableIndex, recordIndex); err != nil {
		return err
	}
	for _, table := range dataTables {
		if err := s.writeTable(enc, table, tableRecords[table]); err != nil {
			return err
		}
	}

	if err := enc.Encode(recordEnd); err != nil {
		return fmt.Errorf("write end record: %w", err)
	}
	return bw.Flush()
}

// writeTable writes every row of one table, in ID order.
func (s *fsmSnapshot) writeTable(enc *codec.Encoder, table string, rt recordType) error {
	it, err := s.snap.txn.Get(table, "id")
	if err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		if err := enc.Encode(rt); err != nil {
			return fmt.Errorf("write %s: %w", table, err)
		}
		if err := enc.Encode(raw); err != nil {
			return fmt.Errorf("write %s: %w", table, err)
		}
	}
	return nil
}

// readSnapshot builds a fresh state store from a stream written by
// Persist.
func readSnapshot(r io.Reader) (*StateStore, error) {
	dec := codec.NewDecoder(bufio.NewReader(r), msgpackHandle)
	var header snapshotHeader
	if err := dec.Decode(&header); err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	if header.Version != snapshotVersion {
		return nil, fmt.Errorf("snapshot format %d is not supported; this server reads format %d",
			header.Version, snapshotVersion)
	}

	store := NewStateStore()
	db, _ := store.current()
	txn := db.Txn(true)
	defer txn.Abort()
	for {
		var rt recordType
		if err := dec.Decode(&rt); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, errors.New("snapshot is truncated: no end record")
			}
			return nil, fmt.Errorf("read record type: %w", err)
		}
		if rt == recordEnd {
			break
		}
		table, obj, err := decodeRecord(dec, rt)
		if err != nil {
			return nil, err
		}
		if err := txn.Insert(table, obj); err != nil {
			return nil, fmt.Errorf("restore into %s: %w", table, err)
		}
	}
	txn.Commit()
	return store, nil
}

// decodeRecord decodes the object that follows a record type.
func decodeRecord(dec *codec.Decoder, rt recordType) (string, any, error) {
	var table string
	var obj any
	switch rt {
	case recordIndex:
		table, obj = TableIndex, &indexEntry{}
	case recordNode:
		table, obj = TableNodes, &api.Node{}
	case recordJob:
		table, obj = TableJobs, &api.Job{}
	case recordJobVersion:
		table, obj = TableJobVersions, &api.Job{}
	case recordEval:
		table, obj = TableEvals, &api.Evaluation{}
	case recordAlloc:
		table, obj = TableAllocs, &api.Allocation{}
	default:
		return "", nil, fmt.Errorf("unknown snapshot record type %d", rt)
	}
	if err := dec.Decode(obj); err != nil {
		return "", nil, fmt.Errorf("read %s record: %w", table, err)
	}
	return table, obj, nil
}
