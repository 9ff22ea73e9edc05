package api

// TelemetrySample is one measurement of one series, such as
// "node/<id>/cpu_percent" or "node/<id>/gpu/<uuid>/utilization".
type TelemetrySample struct {
	Series string
	// Time is Unix nanoseconds.
	Time  int64
	Value float64
}

// TelemetryReport is the body of POST /v1/client/telemetry: what one client
// sampled since its last report.
type TelemetryReport struct {
	NodeID  string
	Samples []*TelemetrySample
}

// TelemetrySeries is the recent history of one series, oldest first.
type TelemetrySeries struct {
	Name   string
	Times  []int64
	Values []float64
}
