import { Extractor } from './types';

/** Reads the comparable view out of the Gcp compiled definition. NOT IMPLEMENTED YET. */
export const extractGcp: Extractor = () => {
  throw new Error('extractGcp is not implemented yet');
};
