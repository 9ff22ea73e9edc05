// Package nab scores anomaly detectors with the rules of the Numenta
// Anomaly Benchmark (NAB v1.1): labelled windows around each anomaly, a
// probation period at the start of each file, the scaled sigmoid reward
// that pays early detections more, the three cost profiles, a threshold
// per profile optimised over the whole corpus, and normalisation between
// the null detector (0) and the perfect detector (100).
//
// The rules follow NAB's sweeper: a row is a detection when its score is at
// or above the threshold; each window is worth its best detection, or
// -FN when it has none; each detection outside a window costs FP times a
// sigmoid of its distance past the previous window. A corpus is read from a
// NAB data folder (data/, labels/combined_windows.json,
// config/profiles.json); a detector's scores come either from running it or
// from NAB result files (timestamp, anomaly_score).
package nab
