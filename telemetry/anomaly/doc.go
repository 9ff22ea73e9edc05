// Package anomaly flags unusual points in streaming telemetry series.
//
// A Detector scores one point at a time: Observe(t, v) returns a Result
// whose Score lies in [0, 1] and whose Flag says the score reached the
// configured threshold (Config.Threshold). Every detector is online: the score of a point
// depends only on the points observed before it (and the point itself), and
// nothing is tuned per series. The first Config.WarmUp points of a series
// score 0 while the detector fills its window.
//
// The detectors are
//
//   - ZScore: distance from the rolling mean in rolling standard deviations;
//   - IQR: distance outside the rolling interquartile box, in box widths;
//   - MAD: distance from the rolling median in median absolute deviations;
//   - EWMA: residual from an exponentially weighted moving average, in
//     exponentially weighted residual deviations;
//   - IsolationForest: an isolation forest over recent shingles, trained on
//     a sample of the sliding window and retrained every RetrainEvery points;
//   - Combined: the distance from the recent shingle to its nearest
//     neighbour in the window (relative to past such distances), fused with
//     a flatline feature and a time-of-day feature (the distance from the
//     values of the earlier days at the same time of day), with a hold-off
//     after each alert so that one event raises one alert; it scores best
//     of these on the Numenta Anomaly Benchmark (make eval-anomaly).
//
// A Tracker turns flags into Events: repeated flags for one ongoing event
// are merged, and each event gets a kind (spike, drop, level shift,
// flatline, oscillation) and the time range it covers. A Monitor keeps one
// detector and tracker per series name and is safe for concurrent use, which
// is how the server watches every series of the cluster.
//
// NaN and infinite values are skipped: they score 0, never flag and do not
// enter any window. Gaps in time are not interpolated; detectors count
// points, not seconds.
package anomaly
