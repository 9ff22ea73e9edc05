// Package telemetry holds the time-series building blocks that the leader's
// loops share: a fixed-capacity ring buffer of samples and a roll-up that
// turns irregular, possibly duplicated or missing samples into one value per
// fixed step.
//
// A series is fed in time order. A Rollup folds every sample that lands in
// the same step into one Bucket; when a sample arrives for a later step, the
// open bucket is closed and handed back together with the number of empty
// steps skipped in between, so that the caller decides how to fill the gap.
// A Ring then keeps the last N closed values in constant memory.
//
// Forecasters (telemetry/predict) and anomaly detectors (telemetry/anomaly)
// build on these types. Neither type is safe for concurrent use; the caller
// holds its own lock.
package telemetry
