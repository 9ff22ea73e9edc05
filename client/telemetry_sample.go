package client

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/mem"

	"github.com/constellation-sched/constellation/api"
	"github.com/constellation-sched/constellation/client/gpu"
)

// GPUSampler is a device inventory that can read its GPUs' counters.
// client/gpu's Inventory satisfies it; when Config.Devices does too, the
// client ships the readings as telemetry.
type GPUSampler interface {
	// Sample reads every physical GPU once.
	Sample() []gpu.Sample
}

// nodeSampler reads the node's own counters and those of its running
// tasks and GPUs, as telemetry samples.
type nodeSampler struct {
	nodeID string
	gpus   GPUSampler // nil when the node's devices cannot be sampled
	tasks  func() []taskUsage
	now    func() time.Time

	// mu guards lastCPU, the CPU times of the previous sample; the
	// process-wide state gopsutil keeps for Percent(0) would be shared
	// by every agent in the process.
	mu      sync.Mutex
	lastCPU *cpu.TimesStat
}

// taskUsage is one running task's resource use.
type taskUsage struct {
	allocID string
	task    string
	cpuPct  float64
	memory  uint64
}

// sample returns the node's samples, all stamped with the same time.
func (ns *nodeSampler) sample(ctx context.Context) []*api.TelemetrySample {
	t := ns.now().UnixNano()
	var out []*api.TelemetrySample
	add := func(series string, v float64) {
		out = append(out, &api.TelemetrySample{Series: series, Time: t, Value: v})
	}
	prefix := "node/" + ns.nodeID + "/"

	// Node CPU and memory. A counter that cannot be read is left out.
	if pct, ok := ns.cpuPercent(ctx); ok {
		add(prefix+"cpu_percent", pct)
	}
	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		add(prefix+"memory_used_mb", float64(vm.Used>>20))
	}

	// Running tasks, through their drivers' handles.
	if ns.tasks != nil {
		for _, u := range ns.tasks() {
			tp := fmt.Sprintf("alloc/%s/%s/", u.allocID, u.task)
			add(tp+"cpu_percent", u.cpuPct)
			add(tp+"memory_used_mb", float64(u.memory)/(1<<20))
		}
	}

	// GPUs: only the metrics each device reports.
	if ns.gpus != nil {
		for _, s := range ns.gpus.Sample() {
			gp := prefix + "gpu/" + s.DeviceID + "/"
			if s.Reports(gpu.MetricUtilization) {
				add(gp+"utilization", s.UtilizationPercent)
			}
			if s.Reports(gpu.MetricMemoryUsed) {
				add(gp+"memory_used_mb", float64(s.MemoryUsedMB))
			}
			if s.Reports(gpu.MetricTemperature) {
				add(gp+"temperature_c", s.TemperatureC)
			}
			if s.Reports(gpu.MetricPower) {
				add(gp+"power_w", s.PowerW)
			}
		}
	}
	return out
}

// cpuPercent returns the node's busy CPU share since the previous call;
// false on the first call or when the counters cannot be read.
func (ns *nodeSampler) cpuPercent(ctx context.Context) (float64, bool) {
	times, err := cpu.TimesWithContext(ctx, false)
	if err != nil || len(times) == 0 {
		return 0, false
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	prev := ns.lastCPU
	ns.lastCPU = &times[0]
	if prev == nil {
		return 0, false
	}
	return busyPercent(*prev, times[0]), true
}

// busyPercent is the share of CPU time between t1 and t2 not spent idle.
func busyPercent(t1, t2 cpu.TimesStat) float64 {
	all := func(t cpu.TimesStat) (total, busy float64) {
		// Guest time is already counted in user time.
		total = t.Total() - t.Guest - t.GuestNice
		return total, total - t.Idle - t.Iowait
	}
	total1, busy1 := all(t1)
	total2, busy2 := all(t2)
	if total2 <= total1 || busy2 <= busy1 {
		return 0
	}
	return min(100, (busy2-busy1)/(total2-total1)*100)
}

// taskUsages samples every running task of the agent.
func (a *Agent) taskUsages() []taskUsage {
	var out []taskUsage
	for _, ar := range a.runnerList() {
		allocID := ar.Alloc().ID
		for _, tr := range ar.tasks {
			st := tr.Stats()
			if st == nil {
				continue
			}
			out = append(out, taskUsage{allocID: allocID, task: tr.task.Name,
				cpuPct: st.CPUPercent, memory: st.MemoryBytes})
		}
	}
	return out
}

// sendTelemetry reports samples to a server, moving on to the next server
// when one fails.
func (a *Agent) sendTelemetry(ctx context.Context, rep *api.TelemetryReport) error {
	return a.servers.Do(ctx, func(c *api.Client) error {
		rctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		return c.ReportTelemetry(rctx, rep)
	})
}

// newTelemetry returns the agent's telemetry shipper.
func (a *Agent) newTelemetry() *telemetryShipper {
	ns := &nodeSampler{nodeID: a.nodeID, tasks: a.taskUsages, now: time.Now}
	if gs, ok := a.cfg.Devices.(GPUSampler); ok {
		ns.gpus = gs
	}
	return newTelemetryShipper(a.nodeID, a.cfg.TelemetryInterval, a.cfg.TelemetryBuffer,
		ns.sample, a.sendTelemetry, a.logger)
}
