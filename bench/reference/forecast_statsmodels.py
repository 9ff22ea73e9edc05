#!/usr/bin/env python3
"""Reference forecasts from statsmodels, for the Go forecast evaluation.

Reads one JSON job per line on stdin: {"id": str, "y": [float], "h": int,
"period": int}. Writes one JSON result per line and model on stdout:
{"id", "model", "mean", "std", "seconds"} or {"id", "model", "error"}.

Models: sm_holtwinters is statsmodels' ETSModel with additive errors, a
damped additive trend and additive seasonality (none without a period),
fitted by maximum likelihood; sm_arima is statsmodels' ARIMA(2,d,2) with a
ARMA(2,1) with a constant on the seasonally differenced series when there
is a period (statsmodels' seasonal state space with a period of hundreds
of steps is too slow to fit), ARIMA(2,1,2) otherwise.
Standard deviations come from each model's own prediction intervals.
"""
import json
import sys
import time
import warnings
from multiprocessing import Pool

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

# statsmodels turns its convergence warnings back on when imported, so the
# filter goes after the imports.
warnings.filterwarnings("ignore")

Z95 = norm.ppf(0.975)


def holt_winters(y, h, period):
    seasonal = "add" if period >= 2 and len(y) >= 3 * period else None
    model = ETSModel(pd.Series(y), error="add", trend="add", damped_trend=True,
                     seasonal=seasonal,
                     seasonal_periods=period if seasonal else None,
                     initialization_method="heuristic" if seasonal else "estimated")
    res = model.fit(disp=False, maxiter=200)
    pred = res.get_prediction(start=len(y), end=len(y) + h - 1)
    pi = np.asarray(pred.pred_int(alpha=0.05))
    return np.asarray(pred.predicted_mean), (pi[:, 1] - pi[:, 0]) / (2 * Z95)


def arima(y, h, period):
    if not (2 <= period and len(y) >= 4 * period):
        fc = ARIMA(y, order=(2, 1, 2)).fit().get_forecast(h)
        ci = fc.conf_int(alpha=0.05)
        return np.asarray(fc.predicted_mean), (ci[:, 1] - ci[:, 0]) / (2 * Z95)
    # Seasonal state spaces of hundreds of lags are too slow to fit, so the
    # seasonal difference is taken by hand and ARMA(2,1) fitted to it.
    w = y[period:] - y[:-period]
    fc = ARIMA(w, order=(2, 0, 1), trend="c").fit().get_forecast(h)
    wm = np.asarray(fc.predicted_mean)
    ci = fc.conf_int(alpha=0.05)
    wsd = (ci[:, 1] - ci[:, 0]) / (2 * Z95)
    ext = list(y)
    var = np.zeros(h)
    for j in range(h):
        ext.append(wm[j] + ext[len(y) + j - period])
        var[j] = wsd[j] ** 2 + (var[j - period] if j >= period else 0.0)
    return np.asarray(ext[len(y):]), np.sqrt(var)


MODELS = {"sm_holtwinters": holt_winters, "sm_arima": arima}


def run(job):
    warnings.simplefilter("ignore")
    y = np.asarray(job["y"], dtype=float)
    out = []
    for name, fn in MODELS.items():
        start = time.time()
        try:
            mean, std = fn(y, job["h"], job["period"])
            if not np.all(np.isfinite(mean)):
                raise ValueError("non-finite forecast")
            std = np.where(np.isfinite(std), std, 0.0)
            out.append({"id": job["id"], "model": name, "mean": mean.tolist(),
                        "std": std.tolist(), "seconds": time.time() - start})
        except Exception as exc:  # a failed fit is reported, not fatal
            out.append({"id": job["id"], "model": name, "error": str(exc)[:200]})
    return out


def main():
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    jobs = [json.loads(line) for line in sys.stdin if line.strip()]
    with Pool(workers) as pool:
        for results in pool.imap_unordered(run, jobs):
            for r in results:
                sys.stdout.write(json.dumps(r) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
