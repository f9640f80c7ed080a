#!/usr/bin/python3
"""Reference side of the cdktf-mlops ML benchmark (scikit-learn, XGBoost).

Reads the very matrices the TypeScript side wrote (raw little-endian float64)
and prints one JSON object: {case: {model: {"times": [...], metric: value}}}.
Usage: /usr/bin/python3 ml_bench.py <dir> <case> <repeats>
       /usr/bin/python3 ml_bench.py fit <dir> <case> hgb|xgb|rf   (one fit: {"seconds", "rmse", "maxRssMB"})
"""
import json
import resource
import sys
import time

import numpy as np


def load(d, name, meta):
    c = meta["cols"]
    Xtr = np.fromfile(f"{d}/{name}.Xtr.f64", dtype="<f8").reshape(-1, c)
    ytr = np.fromfile(f"{d}/{name}.ytr.f64", dtype="<f8")
    Xte = np.fromfile(f"{d}/{name}.Xte.f64", dtype="<f8").reshape(-1, c)
    yte = np.fromfile(f"{d}/{name}.yte.f64", dtype="<f8")
    return Xtr, ytr, Xte, yte


def timed(make, Xtr, ytr, repeats):
    times, model = [], None
    for _ in range(repeats):
        model = make()
        t0 = time.perf_counter()
        model.fit(Xtr, ytr)
        times.append(time.perf_counter() - t0)
    return model, times


def rmse(a, b):
    return float(np.sqrt(np.mean((a - b) ** 2)))


def fit_one(d, case, model):
    """One fit of one model on one case (the benchmark alternates the sides fit by fit).

    Prints {"seconds", "rmse", "maxRssMB"}: maxRSS is this process's peak, data included.
    """
    with open(f"{d}/meta.json") as f:
        meta = json.load(f)
    Xtr, ytr, Xte, yte = load(d, case, meta[case])
    if model == "hgb":
        from sklearn.ensemble import HistGradientBoostingRegressor

        m = HistGradientBoostingRegressor(max_iter=100, early_stopping=False, random_state=0)
    elif model == "xgb":
        import xgboost as xgb

        m = xgb.XGBRegressor(n_estimators=100, tree_method="hist", random_state=0)
    elif model == "rf":
        from sklearn.ensemble import RandomForestRegressor

        m = RandomForestRegressor(n_estimators=100, n_jobs=2, random_state=0)
    else:
        raise SystemExit(f"unknown model {model!r}")
    t0 = time.perf_counter()
    m.fit(Xtr, ytr)
    seconds = time.perf_counter() - t0
    out = {"seconds": seconds, "rmse": rmse(m.predict(Xte), yte), "maxRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    print(json.dumps(out))


def main():
    if sys.argv[1] == "fit":
        fit_one(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    d, case, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(f"{d}/meta.json") as f:
        meta = json.load(f)
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor, RandomForestRegressor
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    import xgboost as xgb

    out = {}
    if case == "bike":
        Xtr, ytr, Xte, yte = load(d, "bike", meta["bike"])
        m, t = timed(lambda: HistGradientBoostingRegressor(random_state=0), Xtr, ytr, repeats)
        out["hgb"] = {"times": t, "rmse": rmse(m.predict(Xte), yte), "n_iter": int(m.n_iter_)}
        m, t = timed(lambda: RandomForestRegressor(n_estimators=100, n_jobs=2, random_state=0), Xtr, ytr, repeats)
        out["rf"] = {"times": t, "rmse": rmse(m.predict(Xte), yte)}
        m, t = timed(lambda: xgb.XGBRegressor(n_estimators=300, tree_method="hist", random_state=0), Xtr, ytr, repeats)
        out["xgb"] = {"times": t, "rmse": rmse(m.predict(Xte), yte)}
    elif case == "churn":
        Xtr, ytr, Xte, yte = load(d, "churn", meta["churn"])
        m, t = timed(lambda: HistGradientBoostingClassifier(random_state=0), Xtr, ytr, repeats)
        out["hgb"] = {"times": t, "auc": float(roc_auc_score(yte, m.predict_proba(Xte)[:, 1]))}
        Xtr, ytr, Xte, yte = load(d, "churn-linear", meta["churn-linear"])
        m, t = timed(lambda: LogisticRegression(max_iter=1000), Xtr, ytr, repeats)
        out["logistic"] = {"times": t, "auc": float(roc_auc_score(yte, m.predict_proba(Xte)[:, 1]))}
    elif case == "scale":
        Xtr, ytr, Xte, yte = load(d, "scale", meta["scale"])
        m, t = timed(lambda: HistGradientBoostingRegressor(max_iter=100, early_stopping=False, random_state=0), Xtr, ytr, repeats)
        out["hgb"] = {"times": t, "rmse": rmse(m.predict(Xte), yte)}
        m, t = timed(lambda: xgb.XGBRegressor(n_estimators=100, tree_method="hist", random_state=0), Xtr, ytr, repeats)
        out["xgb"] = {"times": t, "rmse": rmse(m.predict(Xte), yte)}
        out["maxRssMB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    else:
        raise SystemExit(f"unknown case {case!r}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
