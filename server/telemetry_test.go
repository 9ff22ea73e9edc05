package server

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/constellation-sched/constellation/api"
)

func TestTelemetryStore_KeepsNewestPointsInOrder(t *testing.T) {
	ts := newTelemetryStore()
	total := telemetryPointsPerSeries + 5
	for i := range total {
		ts.add([]*api.TelemetrySample{{Series: "s", Time: int64(1000 + i), Value: float64(i)}})
	}
	got := ts.query("s")
	require.Len(t, got, 1)
	require.Len(t, got[0].Times, telemetryPointsPerSeries)
	require.Equal(t, int64(1005), got[0].Times[0])
	require.Equal(t, 5.0, got[0].Values[0])
	require.Equal(t, int64(1000+total-1), got[0].Times[telemetryPointsPerSeries-1])
	require.Equal(t, float64(total-1), got[0].Values[telemetryPointsPerSeries-1])
}
