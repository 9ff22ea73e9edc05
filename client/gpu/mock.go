package gpu

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	nvmlmock "github.com/NVIDIA/go-nvml/pkg/nvml/mock"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxa100"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxb200"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxh100"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxh200"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
	"github.com/google/uuid"
)

// migSuffix turns a mock name into its MIG variant: "dgxa100-mig".
const migSuffix = "-mig"

// ErrNotMocked is returned by the fault-injection methods of an inventory
// that talks to real hardware.
var ErrNotMocked = errors.New("inventory is not mocked")

// ErrUnknownDevice is returned by the fault-injection methods for an ID
// that is no GPU or MIG device of the inventory.
var ErrUnknownDevice = errors.New("unknown device")

// mockServers are the simulated servers go-nvml v0.13.4-1 ships under
// pkg/nvml/mock, each eight GPUs of one model.
var mockServers = map[string]func() *server.Server{
	"dgxa100": dgxa100.New,
	"dgxh100": dgxh100.New,
	"dgxh200": dgxh200.New,
	"dgxb200": dgxb200.New,
}

// mockMIGLayout is how a "-mig" mock partitions its first GPUs, by GPU
// instance profile: GPU 0 into seven 1-slice instances, GPU 1 into 3, 2,
// 1 and 1 slices. The other GPUs stay whole.
var mockMIGLayout = [][]int{
	slices.Repeat([]int{nvml.GPU_INSTANCE_PROFILE_1_SLICE}, 7),
	{nvml.GPU_INSTANCE_PROFILE_3_SLICE, nvml.GPU_INSTANCE_PROFILE_2_SLICE,
		nvml.GPU_INSTANCE_PROFILE_1_SLICE, nvml.GPU_INSTANCE_PROFILE_1_SLICE},
}

// mockNamespace seeds the stable UUIDs of mock devices.
var mockNamespace = uuid.MustParse("5b0c5a3e-8d0e-4c1e-9a55-3f1f6e0c7a21")

// MockNames returns the accepted values of Options.Mock, sorted.
func MockNames() []string {
	var names []string
	for n := range mockServers {
		names = append(names, n, n+migSuffix)
	}
	sort.Strings(names)
	return names
}

// mockServer is a go-nvml mock server completed with the calls discovery
// and health watching make that the mock leaves unimplemented: PCI bus
// IDs, MIG device handles, events and failing devices.
type mockServer struct {
	srv    *server.Server
	events chan nvml.EventData

	// mu guards lost and migHandles.
	mu sync.Mutex
	// lost holds the UUIDs of GPUs whose queries fail as a GPU that fell
	// off the bus does.
	lost map[string]bool
	// migHandles caches one MIG device handle per compute instance.
	migHandles map[*server.ComputeInstance]*nvmlmock.Device
}

// newMockServer builds the named mock server, with MIG set up through the
// mock's own NVML calls for a "-mig" name.
func newMockServer(name string) (*mockServer, error) {
	base, mig := strings.CutSuffix(name, migSuffix)
	build, ok := mockServers[base]
	if !ok {
		return nil, fmt.Errorf("%w %q: use one of %s", ErrUnknownMock, name,
			strings.Join(MockNames(), ", "))
	}
	ms := &mockServer{
		srv:        build(),
		events:     make(chan nvml.EventData, 64),
		lost:       make(map[string]bool),
		migHandles: make(map[*server.ComputeInstance]*nvmlmock.Device),
	}
	ms.srv.EventSetCreateFunc = ms.eventSetCreate
	for i, d := range ms.srv.Devices {
		dev := d.(*server.Device)
		dev.UUID = "GPU-" + uuid.NewSHA1(mockNamespace, fmt.Appendf(nil, "%s/%d", base, i)).String()
		ms.complete(dev)
	}
	if mig {
		for i, layout := range mockMIGLayout {
			if err := partition(ms.srv.Devices[i], layout); err != nil {
				return nil, fmt.Errorf("set up mig on mock gpu %d: %w", i, err)
			}
		}
	}
	return ms, nil
}

// partition enables MIG on dev and creates one GPU instance per profile,
// each holding one compute instance that spans it.
func partition(dev nvml.Device, profiles []int) error {
	if ret, _ := dev.SetMigMode(nvml.DEVICE_MIG_ENABLE); ret != nvml.SUCCESS {
		return fmt.Errorf("enable mig: %w", ret)
	}
	for _, p := range profiles {
		info, ret := dev.GetGpuInstanceProfileInfo(p)
		if ret != nvml.SUCCESS {
			return fmt.Errorf("read gpu instance profile %d: %w", p, ret)
		}
		gi, ret := dev.CreateGpuInstance(&info)
		if ret != nvml.SUCCESS {
			return fmt.Errorf("create gpu instance of profile %d: %w", p, ret)
		}
		ci, err := fullComputeProfile(gi, info.SliceCount)
		if err != nil {
			return err
		}
		if _, ret := gi.CreateComputeInstance(&ci); ret != nvml.SUCCESS {
			return fmt.Errorf("create compute instance: %w", ret)
		}
	}
	return nil
}

// fullComputeProfile finds the compute instance profile that spans all
// slices of a GPU instance.
func fullComputeProfile(gi nvml.GpuInstance, slices uint32) (
	nvml.ComputeInstanceProfileInfo, error) {

	for id := 0; id < nvml.COMPUTE_INSTANCE_PROFILE_COUNT; id++ {
		info, ret := gi.GetComputeInstanceProfileInfo(id, nvml.COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED)
		if ret == nvml.SUCCESS && info.SliceCount == slices {
			return info, nil
		}
	}
	return nvml.ComputeInstanceProfileInfo{},
		fmt.Errorf("no compute instance profile of %d slices", slices)
}

// complete installs the device calls the mock lacks.
func (ms *mockServer) complete(d *server.Device) {
	d.GetPciInfoFunc = func() (nvml.PciInfo, nvml.Return) {
		p := nvml.PciInfo{PciDeviceId: d.Config.PciDeviceId, Bus: uint32(d.Index)}
		for i := 0; i < len(d.PciBusID) && i < len(p.BusId)-1; i++ {
			p.BusId[i] = int8(d.PciBusID[i])
		}
		return p, nvml.SUCCESS
	}
	memoryInfo := d.GetMemoryInfoFunc
	d.GetMemoryInfoFunc = func() (nvml.Memory, nvml.Return) {
		if ms.isLost(d.UUID) {
			return nvml.Memory{}, nvml.ERROR_GPU_IS_LOST
		}
		return memoryInfo()
	}
	d.GetSupportedEventTypesFunc = func() (uint64, nvml.Return) {
		return nvml.EventTypeXidCriticalError | nvml.EventTypeDoubleBitEccError, nvml.SUCCESS
	}
	d.RegisterEventsFunc = func(uint64, nvml.EventSet) nvml.Return { return nvml.SUCCESS }

	// The mock simulates no load: telemetry reads report what a GPU that
	// lacks the sensor reports.
	d.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) {
		return nvml.Utilization{}, nvml.ERROR_NOT_SUPPORTED
	}
	d.GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) {
		return 0, nvml.ERROR_NOT_SUPPORTED
	}
	d.GetPowerUsageFunc = func() (uint32, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }

	// MIG device handles, backed by the GPU and compute instances the
	// mock's own calls created.
	d.GetMaxMigDeviceCountFunc = func() (int, nvml.Return) { return 7, nvml.SUCCESS }
	d.GetMigDeviceHandleByIndexFunc = func(i int) (nvml.Device, nvml.Return) {
		handles := ms.migDevices(d)
		if i < 0 || i >= len(handles) {
			return nil, nvml.ERROR_NOT_FOUND
		}
		return handles[i], nvml.SUCCESS
	}
	d.GetGpuInstanceByIdFunc = func(id int) (nvml.GpuInstance, nvml.Return) {
		for _, gi := range sortedGpuInstances(d) {
			if int(gi.Info.Id) == id {
				return gi, nvml.SUCCESS
			}
		}
		return nil, nvml.ERROR_NOT_FOUND
	}
}

// migDevices returns the MIG device handles of d in GPU instance, then
// compute instance, order.
func (ms *mockServer) migDevices(d *server.Device) []nvml.Device {
	var out []nvml.Device
	for _, gi := range sortedGpuInstances(d) {
		gi.RLock()
		cis := make([]*server.ComputeInstance, 0, len(gi.ComputeInstances))
		for ci := range gi.ComputeInstances {
			cis = append(cis, ci)
		}
		gi.RUnlock()
		sort.Slice(cis, func(i, j int) bool { return cis[i].Info.Id < cis[j].Info.Id })
		for _, ci := range cis {
			out = append(out, ms.migHandle(d, gi, ci))
		}
	}
	return out
}

// migHandle returns the cached handle of one compute instance's MIG device.
func (ms *mockServer) migHandle(d *server.Device, gi *server.GpuInstance,
	ci *server.ComputeInstance) *nvmlmock.Device {

	ms.mu.Lock()
	defer ms.mu.Unlock()
	if h, ok := ms.migHandles[ci]; ok {
		return h
	}
	giProfile := gi.MIGProfiles.GpuInstanceProfiles[int(gi.Info.ProfileId)]
	ciProfile := gi.MIGProfiles.ComputeInstanceProfiles[int(gi.Info.ProfileId)][int(ci.Info.ProfileId)]
	seed := fmt.Appendf(nil, "%s/%d/%d", d.UUID, gi.Info.Id, ci.Info.Id)
	id := "MIG-" + uuid.NewSHA1(mockNamespace, seed).String()
	h := &nvmlmock.Device{
		GetUUIDFunc:              func() (string, nvml.Return) { return id, nvml.SUCCESS },
		GetGpuInstanceIdFunc:     func() (int, nvml.Return) { return int(gi.Info.Id), nvml.SUCCESS },
		GetComputeInstanceIdFunc: func() (int, nvml.Return) { return int(ci.Info.Id), nvml.SUCCESS },
		GetAttributesFunc: func() (nvml.DeviceAttributes, nvml.Return) {
			return nvml.DeviceAttributes{
				GpuInstanceSliceCount:     giProfile.SliceCount,
				ComputeInstanceSliceCount: ciProfile.SliceCount,
				MultiprocessorCount:       ciProfile.MultiprocessorCount,
				MemorySizeMB:              giProfile.MemorySizeMB,
			}, nvml.SUCCESS
		},
		GetMemoryInfoFunc: func() (nvml.Memory, nvml.Return) {
			if ms.isLost(d.UUID) {
				return nvml.Memory{}, nvml.ERROR_GPU_IS_LOST
			}
			return nvml.Memory{Total: giProfile.MemorySizeMB << 20}, nvml.SUCCESS
		},
		GetDeviceHandleFromMigDeviceHandleFunc: func() (nvml.Device, nvml.Return) {
			return d, nvml.SUCCESS
		},
	}
	ms.migHandles[ci] = h
	return h
}

// sortedGpuInstances returns d's GPU instances by ID.
func sortedGpuInstances(d *server.Device) []*server.GpuInstance {
	d.RLock()
	gis := make([]*server.GpuInstance, 0, len(d.GpuInstances))
	for gi := range d.GpuInstances {
		gis = append(gis, gi)
	}
	d.RUnlock()
	sort.Slice(gis, func(i, j int) bool { return gis[i].Info.Id < gis[j].Info.Id })
	return gis
}

// eventSetCreate returns an event set whose Wait delivers injected events.
func (ms *mockServer) eventSetCreate() (nvml.EventSet, nvml.Return) {
	return &nvmlmock.EventSet{
		WaitFunc: func(timeoutMs uint32) (nvml.EventData, nvml.Return) {
			t := time.NewTimer(time.Duration(timeoutMs) * time.Millisecond)
			defer t.Stop()
			select {
			case ev := <-ms.events:
				return ev, nvml.SUCCESS
			case <-t.C:
				return nvml.EventData{}, nvml.ERROR_TIMEOUT
			}
		},
		FreeFunc: func() nvml.Return { return nvml.SUCCESS },
	}, nvml.SUCCESS
}

// isLost reports whether queries of the GPU fail.
func (ms *mockServer) isLost(gpuUUID string) bool {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.lost[gpuUUID]
}

// InjectMockXID delivers an XID critical error event through the mock's
// NVML event set, as the driver would for a failing GPU. id is a GPU UUID
// or a MIG device UUID; the event then names that MIG device's GPU and
// compute instance.
func (inv *Inventory) InjectMockXID(id string, xid uint64) error {
	if inv.mock == nil {
		return ErrNotMocked
	}
	ev := nvml.EventData{
		EventType: nvml.EventTypeXidCriticalError, EventData: xid,
		GpuInstanceId: invalidInstanceID, ComputeInstanceId: invalidInstanceID,
	}
	for _, g := range inv.gpus {
		if g.uuid == id {
			ev.Device = g.handle
		}
		for _, m := range g.migs {
			if m.uuid == id {
				ev.Device = g.handle
				ev.GpuInstanceId, ev.ComputeInstanceId = uint32(m.giID), uint32(m.ciID)
			}
		}
	}
	if ev.Device == nil {
		return fmt.Errorf("inject xid into %q: %w", id, ErrUnknownDevice)
	}
	inv.mock.events <- ev
	return nil
}

// FailMockDevice makes every later query of the GPU with this UUID fail
// as a GPU that fell off the bus does (ERROR_GPU_IS_LOST), or answer
// again when failed is false.
func (inv *Inventory) FailMockDevice(gpuUUID string, failed bool) error {
	if inv.mock == nil {
		return ErrNotMocked
	}
	if inv.gpuByUUID(gpuUUID) == nil {
		return fmt.Errorf("fail %q: %w", gpuUUID, ErrUnknownDevice)
	}
	inv.mock.mu.Lock()
	defer inv.mock.mu.Unlock()
	inv.mock.lost[gpuUUID] = failed
	return nil
}
