#!/usr/bin/python3
"""Python reference for the serving benchmark: scikit-learn HistGradientBoostingRegressor
(Debian python3-sklearn) on bike-sharing hour.csv behind Flask (python3-flask).

Usage: /usr/bin/python3 serve-ref.py <hour.csv> <port>
POST /invocations {"instances": [{...}, ...]} -> {"predictions": [...]}
"""
import logging
import sys

import pandas as pd
from flask import Flask, jsonify, request
from sklearn.ensemble import HistGradientBoostingRegressor

FEATURES = ["season", "yr", "mnth", "hr", "holiday", "weekday", "workingday", "weathersit", "temp", "atemp", "hum", "windspeed"]


def main():
    data, port = sys.argv[1], int(sys.argv[2])
    df = pd.read_csv(data)
    model = HistGradientBoostingRegressor(max_iter=100, random_state=0).fit(df[FEATURES], df["cnt"])
    app = Flask("serve_ref")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    @app.get("/ping")
    def ping():
        return "\n"

    @app.post("/invocations")
    def invocations():
        doc = request.get_json(force=True)
        frame = pd.DataFrame(doc["instances"])
        return jsonify({"predictions": model.predict(frame[FEATURES]).tolist()})

    print(f"ready on http://127.0.0.1:{port}", file=sys.stderr, flush=True)
    app.run(host="127.0.0.1", port=port, threaded=True)


if __name__ == "__main__":
    main()
