import { readModelDir } from '../artifacts/modeldir';
import { ForecastModel } from './forecast-model';
import { TrainedModel } from './model';

/** Loads any model directory: a {@link ForecastModel} for task 'forecast', else a {@link TrainedModel}. */
export function loadModel(dir: string): TrainedModel | ForecastModel {
  const d = readModelDir(dir);
  if (d.manifest.task === 'forecast') return ForecastModel.fromLoaded(dir, d);
  return TrainedModel.load(dir).model;
}

/** Whether a loaded model is a forecast model. */
export function isForecastModel(m: TrainedModel | ForecastModel): m is ForecastModel {
  return m instanceof ForecastModel;
}
