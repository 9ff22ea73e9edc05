package wasm

/*
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

// Declarations from wasmtime's C API (wasmtime/store.h, error.h, memory.h),
// which wasmtime-go links into the binary. Only what this file calls.
typedef struct wasmtime_store wasmtime_store_t;
typedef struct wasmtime_context wasmtime_context_t;
typedef struct wasmtime_error wasmtime_error_t;
typedef uint8_t wasmtime_update_deadline_kind_t;
typedef struct wasmtime_memory {
  struct {
    uint64_t store_id;
    uint32_t __private1;
  };
  uint32_t __private2;
} wasmtime_memory_t;

extern void wasmtime_store_epoch_deadline_callback(
    wasmtime_store_t *store,
    wasmtime_error_t *(*func)(wasmtime_context_t *, void *, uint64_t *,
                              wasmtime_update_deadline_kind_t *),
    void *data, void (*finalizer)(void *));
extern wasmtime_error_t *wasmtime_error_new(const char *);
extern void wasmtime_error_delete(wasmtime_error_t *);
extern wasmtime_error_t *wasmtime_context_get_fuel(
    const wasmtime_context_t *context, uint64_t *fuel);
extern size_t wasmtime_memory_data_size(const wasmtime_context_t *context,
                                        const wasmtime_memory_t *memory);

enum { WATCH_RUNNING = 0, WATCH_STOPPED = 1, WATCH_DEADLINE = 2 };

// watch is shared between the goroutine running a store and any goroutine
// that stops the task or samples its use. Fields other than memory are
// accessed atomically.
typedef struct watch {
  int32_t stop;          // set to 1 to interrupt the store
  int32_t reason;        // why the callback ended the store
  int64_t deadline_ns;   // CLOCK_MONOTONIC deadline; 0 for none
  uint64_t fuel_left;    // last sampled fuel
  uint64_t memory_bytes; // last sampled size of the memory
  int32_t has_memory;    // memory is set
  wasmtime_memory_t memory;
} watch;

static int64_t watch_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// watch_on_epoch runs on the thread executing the store's wasm code, each
// time the engine's epoch passes the store's deadline: it samples fuel and
// memory, ends the store when asked to or past its deadline, and otherwise
// lets it run until the next epoch.
static wasmtime_error_t *watch_on_epoch(wasmtime_context_t *ctx, void *data,
    uint64_t *delta, wasmtime_update_deadline_kind_t *kind) {
  watch *w = data;
  uint64_t fuel = 0;
  wasmtime_error_t *err = wasmtime_context_get_fuel(ctx, &fuel);
  if (err == NULL) {
    __atomic_store_n(&w->fuel_left, fuel, __ATOMIC_RELAXED);
  } else {
    wasmtime_error_delete(err);
  }
  if (__atomic_load_n(&w->has_memory, __ATOMIC_ACQUIRE)) {
    uint64_t size = wasmtime_memory_data_size(ctx, &w->memory);
    __atomic_store_n(&w->memory_bytes, size, __ATOMIC_RELAXED);
  }

  if (__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
    __atomic_store_n(&w->reason, WATCH_STOPPED, __ATOMIC_RELEASE);
    return wasmtime_error_new("wasm task stopped");
  }
  int64_t deadline = __atomic_load_n(&w->deadline_ns, __ATOMIC_RELAXED);
  if (deadline != 0 && watch_now_ns() >= deadline) {
    __atomic_store_n(&w->reason, WATCH_DEADLINE, __ATOMIC_RELEASE);
    return wasmtime_error_new("wasm task passed its deadline");
  }
  *delta = 1;
  *kind = 0; // WASMTIME_UPDATE_DEADLINE_CONTINUE
  return NULL;
}

static void watch_install(wasmtime_store_t *store, watch *w) {
  wasmtime_store_epoch_deadline_callback(store, watch_on_epoch, w, NULL);
}
*/
import "C"

import (
	"fmt"
	"math"
	"reflect"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Reasons the epoch callback ended a store.
const (
	watchRunning  = C.WATCH_RUNNING
	watchStopped  = C.WATCH_STOPPED
	watchDeadline = C.WATCH_DEADLINE
)

// watch lets other goroutines interrupt a running store and read its fuel
// and memory, without touching the store: wasmtime stores are not safe for
// concurrent use, so everything that needs the store happens in an epoch
// deadline callback on the thread that runs it. The callback is installed
// with wasmtime's C API, which wasmtime-go does not wrap.
//
// A watch lives in C memory so that the callback may keep a pointer to it;
// free it once the store is closed.
type watch struct {
	c *C.watch
}

// newWatch allocates a watch for a store given initialFuel, with a deadline
// timeout from now (none when timeout is 0), and installs its callback.
// The store must have epoch deadlines enabled.
func newWatch(store *wasmtime.Store, initialFuel uint64, timeout time.Duration) *watch {
	w := &watch{c: (*C.watch)(C.calloc(1, C.sizeof_watch))}
	w.c.fuel_left = C.uint64_t(initialFuel)
	if timeout > 0 {
		w.c.deadline_ns = C.int64_t(int64(C.watch_now_ns()) + int64(timeout))
	}
	C.watch_install(storePointer(store), w.c)

	// Reach the callback at the first epoch tick, then every tick after.
	store.SetEpochDeadline(1)
	return w
}

// setMemory makes the callback sample mem's size. Call it from the
// goroutine that owns the store, before running the module.
func (w *watch) setMemory(mem *wasmtime.Memory) {
	w.c.memory = *(*C.wasmtime_memory_t)(unsafe.Pointer(mem))
	atomic.StoreInt32((*int32)(unsafe.Pointer(&w.c.has_memory)), 1)
}

// stop asks the callback to end the store at its next epoch check. It is
// safe from any goroutine.
func (w *watch) stop() {
	atomic.StoreInt32((*int32)(unsafe.Pointer(&w.c.stop)), 1)
}

// reason says why the callback ended the store, or watchRunning when it
// did not.
func (w *watch) reason() int32 {
	return atomic.LoadInt32((*int32)(unsafe.Pointer(&w.c.reason)))
}

// fuelLeft is the fuel the store had at the last sample.
func (w *watch) fuelLeft() uint64 {
	return atomic.LoadUint64((*uint64)(unsafe.Pointer(&w.c.fuel_left)))
}

// memoryBytes is the memory size at the last sample.
func (w *watch) memoryBytes() uint64 {
	return atomic.LoadUint64((*uint64)(unsafe.Pointer(&w.c.memory_bytes)))
}

// record stores final figures read from the store by its owner.
func (w *watch) record(fuelLeft, memoryBytes uint64) {
	atomic.StoreUint64((*uint64)(unsafe.Pointer(&w.c.fuel_left)), fuelLeft)
	atomic.StoreUint64((*uint64)(unsafe.Pointer(&w.c.memory_bytes)), memoryBytes)
}

// free releases the watch. Call it after the store is closed and once no
// other goroutine can reach the watch.
func (w *watch) free() {
	C.free(unsafe.Pointer(w.c))
	w.c = nil
}

// unlimitedFuel is the fuel given to a store with no fuel budget. wasmtime
// saturates fuel above the signed 64-bit range and stops counting it down,
// so the figure stays below that for Stats to see what is consumed.
const unlimitedFuel = math.MaxInt64

// storePointer returns the wasmtime_store_t behind a wasmtime-go Store.
// wasmtime-go keeps it in the Store's first, unexported field; checkLayout
// verifies that when the package loads.
func storePointer(s *wasmtime.Store) *C.wasmtime_store_t {
	return *(**C.wasmtime_store_t)(unsafe.Pointer(s))
}

// checkLayout verifies the wasmtime-go layouts that storePointer and
// setMemory rely on, so that a wasmtime-go upgrade that changes them fails
// loudly instead of corrupting memory.
func checkLayout() error {
	st := reflect.TypeOf(wasmtime.Store{})
	if f := st.Field(0); f.Name != "_ptr" || f.Offset != 0 || f.Type.Kind() != reflect.Pointer {
		return fmt.Errorf("wasmtime.Store layout changed: first field is %s %s", f.Name, f.Type)
	}
	mt := reflect.TypeOf(wasmtime.Memory{})
	if mt.NumField() != 1 || mt.Size() != C.sizeof_wasmtime_memory_t {
		return fmt.Errorf("wasmtime.Memory layout changed: %d fields, %d bytes", mt.NumField(), mt.Size())
	}
	return nil
}
