// Package predict forecasts telemetry series so that the autoscaler can act
// before load arrives.
//
// It offers five models behind one interface (Model): a linear regression on
// time with a seasonal profile (Linear), Holt-Winters exponential smoothing
// with additive or multiplicative seasonality and a damped trend
// (HoltWinters), seasonal ARIMA with orders picked by an information
// criterion (ARIMA), naive and seasonal naive baselines, and an Ensemble that
// weights its members by their recent out-of-sample error. DetectCycles
// finds the periods a series repeats on (hourly, daily, weekly or any other)
// from its autocorrelation and periodogram.
//
// For streaming use, a Forecaster takes one sample at a time through
// Observe, in amortised constant time: samples are rolled up onto a fixed
// step (telemetry.Rollup), gaps are filled from the model's own forecast,
// and the models refit in the background every Config.RefitEvery steps on
// a copy of the window, so that observation never waits for a fit. A Set
// keeps one Forecaster per series name and shares a bounded RefitPool.
//
// Forecast(h) returns point forecasts with a standard deviation per step;
// Forecast.Quantile and Forecast.Interval turn them into prediction
// intervals (normal errors assumed). Capacity converts a forecast into the
// instance count needed per step at a chosen quantile, given the load one
// instance can serve.
//
// Contract: models are fed a regular series of finite values; Forecaster
// and Set do that for the caller. A Model is not safe for concurrent use; a
// Forecaster and a Set are.
package predict
