// Command forecast evaluates the models of telemetry/predict on real series
// with cycles: NAB's nyc_taxi, AWS CloudWatch and traffic series, the Azure
// VM and Google cluster traces, and a subsample of the M4 hourly series,
// all read from ../shared/data.
//
// For each series it forecasts from several origins spread over the last
// part of the series (rolling origin, each model refitted on the window
// before the origin) and scores the forecasts at three horizons: one step,
// one hour and one day. It prints MASE (scaled by the in-sample error of the
// daily seasonal naive forecast, as M4 does), sMAPE and the coverage of the
// 80% and 95% prediction intervals, per series and model, then a summary
// against the naive and seasonal naive baselines.
//
// When /usr/bin/python3 can import statsmodels, the same windows are also
// forecast by bench/reference/forecast_statsmodels.py (Holt-Winters and
// ARIMA from statsmodels) and scored in the same tables; otherwise the
// output says that the reference is absent; -no-ref skips it while
// iterating. -only REGEXP evaluates only the series whose names match, and
// -per-origin adds each origin's one-day MASE by model.
//
// Usage:
//
//	go run ./bench/forecast [-origins 3] [-ref-origins 1] [-m4-every 6] [-m4-ref-every 3] [-window 4032] [-no-ref] [-only REGEXP] [-per-origin]
package main
